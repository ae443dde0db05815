import { silentLogger, type Logger } from '../../log.js';
import { approximateVectorRanking, vectorRankingAmong } from '../approximateVectorRanking.js';
import { BinaryVectorIndex, binaryCode } from '../BinaryVectorIndex.js';
import { embeddingFromBytes, embeddingToBytes } from '../embedding.js';
import type { MemoryEmbedding } from '../MemoryRecords.js';
import { NO_FILTER, type SqlFilter } from './recallFilter.js';
import type { SqlConnection, SqlExecutor, SqlInteger } from './SqlConnection.js';
import type { VectorTable } from './VectorTable.js';

export interface BinaryCodeVectorsOptions {
  sql: SqlConnection;
  /**
   * Whether other connections may have stored vectors since the last call (SQLite's data_version); without it,
   * the table is asked for new rows before every search.
   */
  changedElsewhere?: () => Promise<boolean>;
  logger?: Logger;
}

interface CodeRow {
  vseq: SqlInteger;
  seq: SqlInteger;
  model: string;
  code: Buffer;
}

/**
 * Vectors as float32 bytes beside their binary code (columns `code` and `vector`), searched in memory: one
 * BinaryVectorIndex of codes per model, loaded on the first search and brought up to date with the rows stored
 * since (`vseq` only grows), then a Hamming shortlist re-ranked exactly on the stored vectors (see
 * approximateVectorRanking). The SQLite store, and the PostgreSQL store on a server without pgvector.
 */
export class BinaryCodeVectors implements VectorTable {
  readonly #sql: SqlConnection;
  readonly #changedElsewhere: (() => Promise<boolean>) | null;
  readonly #logger: Logger;
  readonly #indexes = new Map<string, BinaryVectorIndex>();
  #empty: BinaryVectorIndex | null = null;
  /** Highest memory_vectors.vseq loaded into the indexes. */
  #loadedUpTo = 0n;
  /** This connection stored vectors since the codes were last loaded. */
  #stale = true;

  constructor({ sql, changedElsewhere, logger = silentLogger }: BinaryCodeVectorsOptions) {
    this.#sql = sql;
    this.#changedElsewhere = changedElsewhere ?? null;
    this.#logger = logger;
  }

  async insert(tx: SqlExecutor, seq: bigint, { model, vector }: MemoryEmbedding): Promise<boolean> {
    const stored = await tx.run(
      `INSERT INTO memory_vectors (seq, model, code, vector) VALUES (@seq, @model, @code, @vector) ON CONFLICT (model, seq) DO NOTHING`,
      { seq, model, code: Buffer.from(binaryCode(vector)), vector: embeddingToBytes(vector) },
    );
    if (stored > 0) this.#stale = true;
    return stored > 0;
  }

  async modelRecorded(): Promise<void> {
    // A model's index of codes is made in memory when its first code is loaded.
  }

  deleted(seqs: readonly number[]): void {
    for (const index of this.#indexes.values()) for (const seq of seqs) index.delete(seq);
  }

  async rank(query: MemoryEmbedding, filter: SqlFilter, pool: number, selected: () => Promise<number[] | null>): Promise<number[]> {
    const vectors = (keys: number[]) => this.#vectors(query.model, keys);
    const among = await selected();
    if (among) return vectorRankingAmong({ index: () => this.#index(query.model), vectors }, query.vector, pool, among);
    return approximateVectorRanking(
      {
        index: await this.#index(query.model),
        passing: filter.sql === NO_FILTER ? null : (candidates) => this.#passing(candidates, filter),
        vectors,
      },
      query.vector,
      pool,
    );
  }

  /** The model's codes, with every code any connection stored since the last look. */
  async #index(model: string): Promise<BinaryVectorIndex> {
    if (this.#stale || !this.#changedElsewhere || (await this.#changedElsewhere())) {
      this.#stale = false;
      const started = performance.now();
      const loaded = await this.#sql.each<CodeRow>(
        'SELECT vseq, seq, model, code FROM memory_vectors WHERE vseq > @after ORDER BY vseq',
        { after: this.#loadedUpTo },
        (row) => {
          let index = this.#indexes.get(row.model);
          if (!index) this.#indexes.set(row.model, (index = new BinaryVectorIndex(row.code.length * 8)));
          index.set(Number(row.seq), row.code);
          this.#loadedUpTo = BigInt(row.vseq);
        },
      );
      if (loaded > 10_000)
        this.#logger.info(`memory store: loaded ${loaded} vector codes in ${Math.round(performance.now() - started)} ms`);
    }
    // No code of this model loaded (its vectors were deleted meanwhile): an empty index, kept out of the map.
    return this.#indexes.get(model) ?? (this.#empty ??= new BinaryVectorIndex(8));
  }

  async #vectors(model: string, keys: number[]): Promise<Map<number, Float32Array>> {
    const { dialect } = this.#sql;
    const rows = await this.#sql.all<{ seq: SqlInteger; vector: Buffer }>(
      `SELECT seq, vector FROM memory_vectors WHERE model = @model AND ${dialect.inList('seq', 'keys', 'bigint')}`,
      { model, keys: dialect.list(keys) },
    );
    return new Map(rows.map((row) => [Number(row.seq), embeddingFromBytes(row.vector)]));
  }

  async #passing(candidates: number[], filter: SqlFilter): Promise<Set<number>> {
    const { dialect } = this.#sql;
    const rows = await this.#sql.all<{ seq: SqlInteger }>(
      `SELECT m.seq FROM memories m WHERE ${dialect.inList('m.seq', 'candidates', 'bigint')} AND ${filter.sql}`,
      { ...filter.params, candidates: dialect.list(candidates) },
    );
    return new Set(rows.map((row) => Number(row.seq)));
  }
}
