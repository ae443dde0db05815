import type { MemoryEmbedding } from '../MemoryRecords.js';
import type { SqlFilter } from './recallFilter.js';
import type { SqlExecutor } from './SqlConnection.js';

/**
 * How one backend stores and searches the vectors of `memory_vectors` (one row per memory and model): SQLite and
 * PostgreSQL without pgvector as float32 bytes plus a binary code searched in memory, PostgreSQL with pgvector in
 * the server. Keys are memory row numbers (`seq`). Dimensions are checked by the caller, per model.
 */
export interface VectorTable {
  /** Stores the vector of memory `seq` in the caller's transaction unless it has one of that model; true when stored. */
  insert(tx: SqlExecutor, seq: bigint, embedding: MemoryEmbedding): Promise<boolean>;
  /**
   * Called in the transaction that records a model's first vector (and its dimensions, which never change), before
   * the vector is inserted: where to make what that model's search needs.
   */
  modelRecorded(tx: SqlExecutor, model: string, dims: number): Promise<void>;
  /** Called once a transaction that deleted these memories' vectors (forget, a re-memorized segment) has committed. */
  deleted(seqs: readonly number[]): void;
  /**
   * Memories with a vector of `query.model` that pass `filter`, most similar first, at most `pool`. `selected`
   * gives the rows the filters select when an index shows they are few; a search that has no use for them does
   * not call it.
   */
  rank(query: MemoryEmbedding, filter: SqlFilter, pool: number, selected: () => Promise<number[] | null>): Promise<number[]>;
}
