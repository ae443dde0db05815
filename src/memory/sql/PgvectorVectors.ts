import type { MemoryEmbedding } from '../MemoryRecords.js';
import { NO_FILTER, type SqlFilter } from './recallFilter.js';
import type { SqlConnection, SqlExecutor, SqlInteger } from './SqlConnection.js';
import type { VectorTable } from './VectorTable.js';

/**
 * Settings of an HNSW search, local to its transaction. A scan keeps the `ef_search` nearest candidates it has met
 * while it walks the graph; the memories it returns come from those, so `ef_search` bounds recall. It is 1,000,
 * pgvector's largest: measured on the fleet bench's corpus (bag-of-words 384-d vectors, short questions against
 * longer memories; `bench/hnswRecall.bench.ts`) with pgvector's default graph (m 16, ef_construction 64), recall@10
 * against exact search over 10^5 memories was 0.83 at 100, 0.94 at 400, 0.98 at 800 and 1,000 (0.85, 0.97 and
 * 0.995 at 100, 400 and 1,000 over 2×10^4), each step costing search time about in proportion. Iterative scans
 * (pgvector 0.8) go on past `ef_search` until enough rows pass the query's filters, so a filtered search (a robot,
 * a task group) keeps its result count; relaxed order leaves the rows nearly sorted, and `rank` sorts them
 * exactly. Set per search rather than per session: a PostgreSQL server ignores settings of a library it has not
 * loaded yet, and PGlite ignores a connection's startup options.
 */
const HNSW_SEARCH = "SELECT set_config('hnsw.ef_search', '1000', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)";

/**
 * The indexed expression of a model's vectors: an HNSW index needs one dimension, and the column holds every
 * model's, so each model's index is a partial one over its rows with the column cast to its dimension —
 * `vector(d)` up to 2,000 dimensions, `halfvec(d)` (half precision) up to 4,000, pgvector's limits; a larger model
 * has no index and is ranked exactly. Must agree with `taskmem_vector_index` (postgresMigrations, schema 8).
 */
export function indexedVector(dims: number): { column: string; query: (param: string) => string } | null {
  const type = dims <= 2000 ? 'vector' : dims <= 4000 ? 'halfvec' : null;
  if (!type || !Number.isInteger(dims) || dims < 1) return null;
  return { column: `v.vector::${type}(${dims})`, query: (param) => `CAST(CAST(${param} AS vector) AS ${type}(${dims}))` };
}

/**
 * Vectors in a pgvector `vector` column. Each model has its own HNSW index (cosine distance), made in the
 * transaction that records the model's first vector, so vectors of different models and sizes share the column
 * and a search walks only its own model's graph. A search among the few memories an index selects (a time window,
 * a place) ranks them exactly; any other search walks the HNSW graph with the filters in the same query.
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

  async modelRecorded(tx: SqlExecutor, model: string, dims: number): Promise<void> {
    // Owned by the schema's owner (SECURITY DEFINER): a robot's role that may write rows but not create indexes
    // still gets its new model indexed.
    await tx.get('SELECT taskmem_vector_index(@model, CAST(@dims AS INTEGER))', { model, dims });
  }

  deleted(): void {
    // Nothing is held outside the server.
  }

  async rank(query: MemoryEmbedding, filter: SqlFilter, pool: number, selected: () => Promise<number[] | null>): Promise<number[]> {
    const among = filter.sql === NO_FILTER ? null : await selected();
    const params = { model: query.model, query: vectorLiteral(query.vector), pool };
    if (among) {
      // A few thousand memories at most: exact distances beat a graph walk that would skip most of what it finds.
      if (among.length === 0) return [];
      const { dialect } = this.#sql;
      return this.#seqs(
        this.#sql,
        `SELECT v.seq FROM memory_vectors v WHERE v.model = @model AND ${dialect.inList('v.seq', 'among', 'bigint')}
         ORDER BY v.vector <=> CAST(@query AS vector) LIMIT @pool`,
        { ...params, among: dialect.list(among) },
      );
    }
    const indexed = indexedVector(query.vector.length);
    if (!indexed) return this.#exact(filter, params);
    // The model's HNSW index answers the inner query (its expression and predicate are the index's); the outer
    // one puts the iterative scan's nearly sorted rows in exact order.
    const found = await this.#sql.transaction(async (tx) => {
      await tx.get(HNSW_SEARCH);
      return this.#seqs(
        tx,
        `SELECT seq FROM (
         SELECT m.seq, ${indexed.column} <=> ${indexed.query('@query')} AS distance
         FROM memory_vectors v JOIN memories m ON m.seq = v.seq WHERE v.model = @model AND ${filter.sql}
         ORDER BY distance LIMIT @pool) AS nearest ORDER BY distance`,
        { ...filter.params, ...params },
      );
    });
    if (found.length === pool || filter.sql === NO_FILTER) return found;
    // The walk stopped (hnsw.max_scan_tuples) before enough memories passed a filter no index narrows (a rare task
    // group): the memories passing it are ranked exactly, so a filter costs time, never results.
    return this.#exact(filter, params);
  }

  /** The memories passing `filter` ranked by exact cosine distance, without an index. */
  #exact(filter: SqlFilter, params: { model: string; query: string; pool: number }): Promise<number[]> {
    return this.#seqs(
      this.#sql,
      `SELECT m.seq FROM memory_vectors v JOIN memories m ON m.seq = v.seq WHERE v.model = @model AND ${filter.sql}
       ORDER BY v.vector <=> CAST(@query AS vector) LIMIT @pool`,
      { ...filter.params, ...params },
    );
  }

  async #seqs(on: SqlExecutor, sql: string, params: Parameters<SqlExecutor['all']>[1]): Promise<number[]> {
    return (await on.all<{ seq: SqlInteger }>(sql, params)).map((row) => Number(row.seq));
  }
}

function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}
