import { CauseCounter, type Logger } from '../log.js';
import type { Memory } from '../memory/Memory.js';
import type { MemoryEmbedding, MemoryRecords } from '../memory/MemoryRecords.js';
import { EmbeddingBackfill, type EmbeddingBackfillOptions } from './EmbeddingBackfill.js';
import type { EmbeddingSource } from './EmbeddingSource.js';
import { embeddingFailure, type EmbeddingFailure } from './embeddingFailure.js';

/** What a pipeline's embedding did, for `/diagnostics` and the ingest summary. */
export interface EmbeddingCounts {
  /** The embedding source's name: the model the vectors are recorded under. */
  model: string;
  /** Memories stored with their vector, in the same transaction. */
  embedded: number;
  /** Memories stored without a vector (the endpoint failed, or was known to be down): the catch-up embeds them. */
  deferred: number;
  /** Vectors the catch-up stored for memories stored without one, by this run or an earlier one. */
  caughtUp: number;
  /** Failed embedding requests, by cause (see EmbeddingFailure): `unreachable`, `timeout`, `http_503`, … */
  failures: Record<string, number>;
  /**
   * Memories of the store without a vector of the model, as last counted (plus those deferred since); null before
   * the first count.
   */
  pending: number | null;
  /** Why the endpoint is taken to be down (the cause of its last failure), or null while it answers. */
  down: string | null;
}

export interface MemoryEmbedderOptions {
  source: EmbeddingSource;
  store: EmbeddingBackfillOptions['store'] & Pick<MemoryRecords, 'countUnembedded'>;
  logger: Logger;
}

/** Longest a new memory waits for its vector before it is stored without one. */
const WRITE_BUDGET_MS = 10_000;

/**
 * The memory pipeline's embedding. A new memory is embedded before it is stored, so that memory and vector
 * commit in one transaction. When that fails (endpoint down, timeout, a bad reply) the memory is stored without
 * a vector — which is the mark that it still needs one — and the write path stops asking the endpoint until the
 * catch-up reaches it again, so a dead endpoint costs the live stream one budget, not one per segment. The
 * catch-up (an EmbeddingBackfill) runs one bounded batch at a time in the background: at start, for what earlier
 * runs left, and after each segment, for what the endpoint failed since.
 *
 * Failures are counted by cause and logged once per cause. Invariants: at most one catch-up batch runs at a time;
 * none starts after `close`.
 */
export class MemoryEmbedder {
  readonly model: string;
  readonly #source: EmbeddingSource;
  readonly #store: MemoryEmbedderOptions['store'];
  readonly #logger: Logger;
  readonly #backfill: EmbeddingBackfill;
  readonly #causes: CauseCounter;
  readonly #failures: Record<string, number> = {};
  /** The last failure of the endpoint while it has not answered since; the write path does not ask it meanwhile. */
  #down: EmbeddingFailure | null = null;
  #embedded = 0;
  #deferred = 0;
  #pending: number | null = null;
  #running: Promise<void> | null = null;
  #closed = false;
  readonly #abort = new AbortController();

  constructor({ source, store, logger }: MemoryEmbedderOptions) {
    this.model = source.name;
    this.#source = source;
    this.#store = store;
    this.#logger = logger;
    this.#causes = new CauseCounter(logger);
    this.#backfill = new EmbeddingBackfill({
      store,
      source,
      // Each refused memory is named: it stays without a vector until someone looks at its text.
      onRefused: (memory, failure) => {
        this.#failures[failure.cause] = (this.#failures[failure.cause] ?? 0) + 1;
        logger.warn(
          `embedding ${this.model}: the endpoint refused the text of memory ${memory.id} (${failure.detail}); it stays without a vector`,
        );
      },
    });
  }

  /**
   * The vector of a memory about to be stored, or null: the source failed (counted, logged once per cause) or is
   * known to be down. `signal` is the pipeline's: its abort cancels the request.
   */
  async forNew(memory: Pick<Memory, 'text'>, signal: AbortSignal): Promise<MemoryEmbedding | null> {
    if (this.#down) return null;
    const deadline = AbortSignal.timeout(WRITE_BUDGET_MS);
    try {
      const [vector] = await this.#source.embed([memory.text], AbortSignal.any([signal, deadline]));
      return { model: this.model, vector: vector! };
    } catch (error) {
      const failure = embeddingFailure(error, { cancelled: signal, deadline });
      if (failure.cause === 'cancelled') return null;
      this.#count(
        failure,
        `a new memory is stored without its vector (${failure.detail}); ` +
          (failure.refused ? 'its text is tried once more alone' : 'it is embedded once the endpoint answers again'),
      );
      if (!failure.refused) this.#down = failure;
      return null;
    }
  }

  /** Counts a memory the pipeline stored, with its vector or without. */
  stored(withVector: boolean): void {
    if (withVector) this.#embedded++;
    else {
      this.#deferred++;
      if (this.#pending !== null) this.#pending++;
    }
  }

  /** Counts a vector the store refused with its memory (one of another length than the model's stored ones). */
  refusedByStore(memory: Pick<Memory, 'id'>, error: unknown): void {
    const detail = error instanceof Error ? error.message : String(error);
    this.#count(
      { cause: 'store', detail, refused: false },
      `the vector of ${memory.id} was not stored (${detail}); the memory is stored without it`,
    );
  }

  /** Starts one catch-up batch in the background, unless one is running or the embedder is closed. */
  catchUp(): void {
    if (this.#closed || this.#running) return;
    this.#running = this.#catchUp().finally(() => (this.#running = null));
  }

  /**
   * Resolves when the catch-up batch in flight, if any, has ended and one more batch has been tried: the end of a
   * stream, so that what its last segments left without a vector is embedded if the endpoint answers by then.
   */
  async finish(): Promise<void> {
    await this.#running;
    this.catchUp();
    await this.#running;
  }

  /** No catch-up starts any more; the one in flight finishes, or with `abort` is cancelled. */
  async close({ abort = false }: { abort?: boolean } = {}): Promise<void> {
    this.#closed = true;
    if (abort) this.#abort.abort(new Error('pipeline closed'));
    await this.#running;
  }

  get counts(): EmbeddingCounts {
    return {
      model: this.model,
      embedded: this.#embedded,
      deferred: this.#deferred,
      caughtUp: this.#backfill.stored,
      failures: { ...this.#failures },
      pending: this.#pending,
      down: this.#down?.cause ?? null,
    };
  }

  async #catchUp(): Promise<void> {
    const first = this.#pending === null;
    try {
      const step = await this.#backfill.step(this.#abort.signal);
      if (step.kind === 'busy') return;
      if (step.kind === 'failed') {
        if (step.failure.cause === 'cancelled') return;
        this.#count(
          step.failure,
          `embedding the memories stored without a vector failed (${step.failure.detail}); tried again after the next segment`,
        );
        if (!step.failure.refused) this.#down = step.failure;
      } else if (this.#down) {
        this.#logger.info(`embedding ${this.model}: the endpoint answers again; the memories stored without a vector are being embedded`);
        this.#down = null;
      }
      if (step.kind === 'done' && this.#pending === 0) return;
      this.#pending = await this.#store.countUnembedded(this.model);
      if (first && this.#pending > 0)
        this.#logger.info(
          `embedding ${this.model}: ${this.#pending} stored memories have no vector of it yet; they are embedded a batch at a time ` +
            'after each segment (taskmem reindex embeds them all at once)',
        );
    } catch (error) {
      // A store failure here is not the stream's: the next put meets it if the store is really gone.
      const detail = error instanceof Error ? error.message : String(error);
      this.#count({ cause: 'store', detail, refused: false }, `catching up failed in the store (${detail})`);
    }
  }

  #count(failure: EmbeddingFailure, what: string): void {
    this.#failures[failure.cause] = (this.#failures[failure.cause] ?? 0) + 1;
    this.#causes.count(`embedding_${failure.cause}`, `embedding ${this.model}: ${what}`);
  }
}
