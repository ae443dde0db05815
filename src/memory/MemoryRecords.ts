import type { RosNanos } from '../time.js';
import type { Memory } from './Memory.js';

/**
 * A memory's embedding and the model that made it. Vectors of different models live in different spaces (and
 * may differ in length): the store keeps one vector per memory and model and only ever compares vectors of one
 * model.
 */
export interface MemoryEmbedding {
  /** The embedding source's name (`EmbeddingSource.name`), e.g. "text-embedding-3-small"; never empty. */
  model: string;
  vector: Float32Array;
}

/** A retrieval that ranks memories: full text over text and transcript, or vector similarity. */
export type Retriever = 'text' | 'vector';

/** What to retrieve. Every filter is optional; all given filters must hold. */
export interface RecallQuery {
  /** Full-text query (FTS5 syntax is not required: plain words are matched). */
  text?: string;
  /** Query embedding for vector similarity; only stored vectors of its model are searched. */
  vector?: MemoryEmbedding;
  /** Only memories whose span overlaps [since, until). */
  since?: RosNanos;
  until?: RosNanos;
  /** Only memories that existed at this ROS time: a question never sees memories written after it arrived. */
  asOf?: RosNanos;
  robotId?: string;
  episode?: number;
  taskGroup?: string;
  /** Only memories in which this person (an id such as person_3) was recognised. */
  person?: string;
  /** Only memories whose pose lies within `radius` metres of (x, y). */
  near?: { x: number; y: number; radius: number };
  limit?: number;
}

export interface ScoredMemory {
  memory: Memory;
  /** Fused relevance, higher is better; 0 when no retriever ran (pure filter, newest first). */
  score: number;
  /** Which retrievers found it; ['filter'] when none ran. */
  matchedBy: (Retriever | 'filter')[];
}

export interface RecallResult {
  /** Best first. */
  memories: ScoredMemory[];
  /**
   * The retrievers that ran: 'text' when the query had words worth searching for, 'vector' when it had an
   * embedding and the store holds vectors of that model. Empty: the memories are the filters' newest.
   */
  searchedBy: Retriever[];
}

export interface ForgetQuery {
  ids?: string[];
  since?: RosNanos;
  until?: RosNanos;
  text?: string;
}

/** One page of memories that have no vector of a model. */
export interface UnembeddedPage {
  /** In the order they were stored. */
  memories: Memory[];
  /** Pass as `after` for the next page; null when this page is the last. */
  next: string | null;
}

/** A memory (its id, and the text its embedding was made from) with the embedding to store for it. */
export interface EmbeddingEntry {
  memory: Pick<Memory, 'id' | 'text'>;
  embedding: MemoryEmbedding;
}

/**
 * Memories and what is stored beside each: thumbnails, its full-text entry and its vectors. Invariants a caller
 * can rely on: `put` is one transaction and idempotent on `memory.id`; a memory is readable once `put` resolves;
 * nothing is ever updated in place except by `put` of the same id (a re-memorized segment, which drops its
 * vectors of every model) and `forget`.
 */
export interface MemoryRecords {
  /**
   * Stores a memory and, when given, its vector in one transaction; returns false when a memory with this id and
   * identical text was already stored (its vector of `embedding.model` is then added if it had none).
   */
  put(memory: Memory, embedding?: MemoryEmbedding | null): Promise<boolean>;
  get(id: string): Promise<Memory | null>;
  recall(query: RecallQuery): Promise<RecallResult>;
  /** Memories of one robot and episode that end at or before `before`, newest last (the prompt window). */
  window(robotId: string, episode: number, before: RosNanos, limit: number): Promise<Memory[]>;
  /**
   * Deletes the memories the query selects (every criterion given must hold) and returns them. Nothing the store
   * keeps says what they said afterwards: their full-text entries, thumbnails and vectors of every model go with
   * them, and so do the records that rest on or quote them — recorded answers citing one as evidence or quoting
   * its text, and preference pairs of its segment or whose request quotes it, with their images no other pair
   * shows. On SQLite the freed bytes are overwritten and the write-ahead log emptied (docs/data-safety.md).
   */
  forget(query: ForgetQuery): Promise<Memory[]>;
  count(): Promise<number>;

  /**
   * Stores embeddings of memories already stored, in one transaction; returns how many were stored. Idempotent
   * per memory and model: a memory that has a vector of the model keeps it. An entry is skipped when its memory
   * was forgotten, or re-memorized with other text, since it was read (the vector would describe other text).
   */
  putEmbeddings(entries: Iterable<EmbeddingEntry>): Promise<number>;
  /**
   * Memories without a vector of `model`, in the order they were stored, `limit` (default 100) after the cursor
   * `after` (a page's `next`; omitted: from the first). What was embedded meanwhile is not listed again.
   */
  unembedded(model: string, page?: { after?: string | null; limit?: number }): Promise<UnembeddedPage>;
  /** How many memories have no vector of `model`. */
  countUnembedded(model: string): Promise<number>;
}
