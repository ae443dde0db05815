import type { MemoryEmbedding } from '../MemoryRecords.js';
import type { SqlFilter } from './recallFilter.js';
import type { SqlConnection, SqlExecutor, SqlInteger } from './SqlConnection.js';
import type { VectorTable } from './VectorTable.js';

/**
 * Vectors in a pgvector `vector` column, ranked by exact cosine distance in the server with the filters in the
 * same query. The column has no fixed dimension, so models of different sizes share it; a search compares only
 * rows of its own model.
 */
export class PgvectorVectors implements VectorTable {
  readonly #sql: SqlConnection;

  constructor(sql: SqlConnection) {
    this.#sql = sql;
  }

  async insert(tx: SqlExecutor, seq: bigint, { model, vector }: MemoryEmbedding): Promise<boolean> {
    const stored = await tx.run(
      `INSERT INTO memory_vectors (seq, model, vector) VALUES (@seq, @model, CAST(@vector AS vector)) ON CONFLICT (model, seq) DO NOTHING`,
      { seq, model, vector: vectorLiteral(vector) },
    );
    return stored > 0;
  }

  deleted(): void {
    // Nothing is held outside the server.
  }

  async rank(query: MemoryEmbedding, filter: SqlFilter, pool: number): Promise<number[]> {
    const rows = await this.#sql.all<{ seq: SqlInteger }>(
      `SELECT m.seq FROM memory_vectors v JOIN memories m ON m.seq = v.seq WHERE v.model = @model AND ${filter.sql}
       ORDER BY v.vector <=> CAST(@query AS vector) LIMIT @pool`,
      { ...filter.params, model: query.model, query: vectorLiteral(query.vector), pool },
    );
    return rows.map((row) => Number(row.seq));
  }
}

function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}
