import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EmbeddingLeases } from '../memory/EmbeddingLeases.js';
import type { Memory } from '../memory/Memory.js';
import type { EmbeddingEntry, MemoryRecords } from '../memory/MemoryRecords.js';
import type { EmbeddingSource } from './EmbeddingSource.js';
import { embeddingFailure, type EmbeddingFailure } from './embeddingFailure.js';

export interface EmbeddingBackfillOptions {
  store: Pick<MemoryRecords, 'unembedded' | 'putEmbeddings'> & EmbeddingLeases;
  source: EmbeddingSource;
  /** Memories embedded per batch: one request to the source. */
  batchSize?: number;
  /** Called once per memory the endpoint refused (HTTP 400, 413, 422 for its text alone); it is not tried again by this backfill. */
  onRefused?: (memory: Memory, failure: EmbeddingFailure) => void;
}

/** What one `step` did. */
export type BackfillStep =
  /** A batch was embedded and stored: `embedded` vectors stored; `more`: memories after it wait. */
  | { kind: 'embedded'; embedded: number; more: boolean }
  /** No memory without a vector of the model is left (after the cursor, and apart from refused ones). */
  | { kind: 'done' }
  /** Another process holds the model's lease (the node, an ingest, `taskmem reindex`): it embeds them. */
  | { kind: 'busy' }
  /** The source failed for the whole batch; the next step tries the same memories again. */
  | { kind: 'failed'; failure: EmbeddingFailure };

const DEFAULT_BATCH = 64;
/** Longest a batch may take to embed; the store's lease outlives it, so that no other process takes over mid-batch. */
const BUDGET_MS = 30_000;
/** How long the lease outlives a batch's budget: the store writes before and after the embedding request. */
const LEASE_MARGIN_MS = 30_000;

/**
 * Embeds the memories of a store that have no vector of the source's model — stored while the embedding endpoint
 * was down, before a source was configured, or under another model — one batch per `step`, in the order they were
 * stored. Used after each segment by the memory pipeline (in the background) and in a loop by `taskmem reindex`.
 *
 * Invariants: a batch is listed and embedded only while this backfill holds the store's lease on the model, and
 * listed again under it, so no memory is embedded by two processes (nor twice by one); memories listed past are
 * not listed again (a cursor is kept between steps, since listing from the first memory walks the whole store);
 * memories stored later are found after it. Callers must not run two steps of one backfill at once.
 */
export class EmbeddingBackfill {
  readonly model: string;
  readonly #store: EmbeddingBackfillOptions['store'];
  readonly #source: EmbeddingSource;
  readonly #batchSize: number;
  readonly #onRefused: (memory: Memory, failure: EmbeddingFailure) => void;
  readonly #owner = `${hostname().replace(/\s/g, '_')}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Where the next listing starts: after the last full page done (null: from the first memory). */
  #after: string | null = null;
  /** Memories whose text the source refused, by id: skipped, so that they do not block the ones after them. */
  readonly #refused = new Set<string>();
  #stored = 0;

  constructor({ store, source, batchSize = DEFAULT_BATCH, onRefused = () => {} }: EmbeddingBackfillOptions) {
    this.model = source.name;
    this.#store = store;
    this.#source = source;
    this.#batchSize = batchSize;
    this.#onRefused = onRefused;
  }

  /** Vectors this backfill stored. */
  get stored(): number {
    return this.#stored;
  }

  /** Memories the source refused so far (skipped until the next run). */
  get refused(): number {
    return this.#refused.size;
  }

  /**
   * Embeds the next batch. Looking for work takes no lease and writes nothing, so a step with nothing to do is a
   * read of the store after the cursor. `signal` cancels the embedding request (a `failed` step, cause
   * `cancelled`); a store failure is thrown.
   */
  async step(signal?: AbortSignal): Promise<BackfillStep> {
    if ((await this.#nextBatch()) === null) return { kind: 'done' };
    const lease = { owner: this.#owner, now: Date.now(), ttlMs: BUDGET_MS + LEASE_MARGIN_MS };
    if (!(await this.#store.leaseEmbedding(this.model, lease))) return { kind: 'busy' };
    try {
      // Listed again under the lease: what another holder embedded since the first look is not embedded again.
      const batch = await this.#nextBatch();
      if (batch === null) return { kind: 'done' };
      const deadline = AbortSignal.timeout(BUDGET_MS);
      const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
      const embedded = await this.#embed(batch.memories, both, { cancelled: signal, deadline });
      if ('failure' in embedded) return { kind: 'failed', failure: embedded.failure };
      const stored = await this.#store.putEmbeddings(embedded.entries);
      this.#stored += stored;
      if (embedded.complete && batch.next !== null) this.#after = batch.next;
      return { kind: 'embedded', embedded: stored, more: batch.next !== null || !embedded.complete };
    } finally {
      await this.#store.releaseEmbedding(this.model, this.#owner);
    }
  }

  /**
   * The memories to embed next, or null when none is left; pages holding refused memories only are passed over.
   * The cursor moves past full pages only: the last page is listed again next time, for the memories stored since.
   */
  async #nextBatch(): Promise<{ memories: Memory[]; next: string | null } | null> {
    for (;;) {
      const page = await this.#store.unembedded(this.model, { after: this.#after, limit: this.#batchSize });
      const memories = page.memories.filter((m) => !this.#refused.has(m.id));
      if (memories.length > 0) return { memories, next: page.next };
      if (page.next === null) return null;
      this.#after = page.next;
    }
  }

  /**
   * Embeddings of `memories` in one request; when the source refuses the batch, one request per memory, so that
   * one text it cannot take does not keep the others from being embedded. `complete`: every memory was embedded
   * or refused, so the cursor may move past them.
   */
  async #embed(
    memories: Memory[],
    signal: AbortSignal,
    causes: { cancelled: AbortSignal | undefined; deadline: AbortSignal },
  ): Promise<{ entries: EmbeddingEntry[]; complete: boolean } | { failure: EmbeddingFailure }> {
    const attempt = async (batch: Memory[]): Promise<{ entries: EmbeddingEntry[] } | { failure: EmbeddingFailure }> => {
      try {
        const vectors = await this.#source.embed(
          batch.map((m) => m.text),
          signal,
        );
        return { entries: batch.map((memory, i) => ({ memory, embedding: { model: this.model, vector: vectors[i]! } })) };
      } catch (error) {
        return { failure: embeddingFailure(error, causes) };
      }
    };
    const whole = await attempt(memories);
    if ('entries' in whole) return { ...whole, complete: true };
    if (!whole.failure.refused) return whole;
    const entries: EmbeddingEntry[] = [];
    for (const memory of memories) {
      const one = memories.length === 1 ? whole : await attempt([memory]);
      if ('entries' in one) entries.push(...one.entries);
      else if (one.failure.refused) this.#refuse(memory, one.failure);
      else return entries.length > 0 ? { entries, complete: false } : one;
    }
    return { entries, complete: true };
  }

  #refuse(memory: Memory, failure: EmbeddingFailure): void {
    this.#refused.add(memory.id);
    this.#onRefused(memory, failure);
  }
}
