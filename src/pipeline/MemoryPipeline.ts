import { EventEmitter } from 'node:events';
import type { Config } from '../config/schema.js';
import { silentLogger, type Logger } from '../log.js';
import type { FocusContext, MemorizeContext, MemorizeOutcome, Memorizer } from '../memorize/Memorizer.js';
import { memoryId, type FailedSegment, type Memory } from '../memory/Memory.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import type { Segment } from '../segment/Segment.js';
import { formatStamp, secondsToNanos } from '../time.js';
import { SegmentQueue } from './SegmentQueue.js';
import type { SensorMessage } from './SensorMessage.js';

/** What the pipeline needs from segmentation: sensor messages in, closed segments out. */
export interface SegmentSource {
  /** Takes one message; returns the segments it closed, oldest first. */
  push(message: SensorMessage): Promise<Segment[]>;
  /** Closes the open segment at the end of the stream (a recording's end); returns what it closed. */
  flush(): Promise<Segment[]>;
}

/** Supplies task focus for a segment (src/focus); null when no focus is active. */
export type FocusProvider = (segment: Segment) => FocusContext | null | Promise<FocusContext | null>;

export interface MemoryPipelineEvents {
  /** A memory was committed to the store (the ROS node publishes it). */
  stored: [memory: Memory, segment: Segment];
  /** The segment's memory was already in the store (a replay or restart): nothing was asked of the model. */
  skipped: [segment: Segment];
  /** The segment could not be memorized; the failure is recorded in the store for a later retry. */
  failed: [failure: FailedSegment, segment: Segment];
  /** The queue was full and the drop policy gave this segment up. */
  dropped: [segment: Segment];
}

export interface MemoryPipelineOptions {
  segments: SegmentSource;
  memorizer: Memorizer;
  /** Writes the segment when the memorizer reports its endpoint unreachable and `memorizer.fallback` is true. */
  fallback?: Memorizer | null;
  store: MemoryStore;
  config: Pick<Config, 'segment' | 'memorizer'>;
  focus?: FocusProvider;
  logger?: Logger;
  /**
   * What `push` does when the queue is full: `drop` applies `memorizer.drop_policy` (a live stream cannot wait);
   * `wait` makes `push` wait for room (a recording can), so nothing is dropped.
   */
  overflow?: 'drop' | 'wait';
  /** Segments memorized at once. 1 keeps memories in order, so each prompt's window holds the previous memory. */
  concurrency?: number;
  /** Milliseconds clock for rate-limiting the drop report; the wall clock by default. */
  now?: () => number;
}

const DROP_REPORT_INTERVAL_MS = 60_000;

/**
 * The memory pipeline: sensor messages → segments → bounded queue → memorizer (with the window of previous
 * memories and the task focus) → store. Used as is by the ROS node, `taskmem ingest`, the benchmark harness and
 * the demo; it knows nothing of ROS.
 *
 * Invariants: every segment that leaves the segmenter ends as exactly one of stored, skipped, failed (recorded
 * in the store) or dropped (counted, reported); with concurrency 1 they end in stamp order. Callers must await
 * each `push` before the next. A store error is fatal: it is rethrown by the next `push`, `drain` or `close`.
 */
export class MemoryPipeline extends EventEmitter<MemoryPipelineEvents> {
  readonly #segments: SegmentSource;
  readonly #memorizer: Memorizer;
  readonly #fallback: Memorizer | null;
  readonly #store: MemoryStore;
  readonly #config: Pick<Config, 'segment' | 'memorizer'>;
  readonly #focus: FocusProvider | null;
  readonly #logger: Logger;
  readonly #overflow: 'drop' | 'wait';
  readonly #now: () => number;
  readonly #queue: SegmentQueue;
  readonly #workers: Promise<void>[];
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Segment>();
  #idleWaiters: (() => void)[] = [];
  #fatal: Error | null = null;
  #closed = false;
  #dropsSinceReport = 0;
  #lastDropReport = Number.NEGATIVE_INFINITY;
  readonly counts = { stored: 0, skipped: 0, failed: 0, dropped: 0, fallback: 0 };

  constructor({
    segments, memorizer, fallback = null, store, config, focus, logger = silentLogger, overflow = 'drop', concurrency = 1, now = Date.now,
  }: MemoryPipelineOptions) {
    super();
    this.#segments = segments;
    this.#memorizer = memorizer;
    this.#fallback = config.memorizer.fallback ? fallback : null;
    this.#store = store;
    this.#config = config;
    this.#focus = focus ?? null;
    this.#logger = logger;
    this.#overflow = overflow;
    this.#now = now;
    this.#queue = new SegmentQueue({ capacity: config.memorizer.queue_size, policy: config.memorizer.drop_policy });
    this.#workers = Array.from({ length: concurrency }, () => this.#work());
  }

  /** Feeds one sensor message. Resolves once the segments it closed are queued (or dropped). */
  async push(message: SensorMessage): Promise<void> {
    this.#throwIfUnusable('push');
    for (const segment of await this.#segments.push(message)) await this.#enqueue(segment);
  }

  /** Queues a closed segment directly (a retry of a failed segment, or a caller with its own segmenter). */
  async enqueue(segment: Segment): Promise<void> {
    this.#throwIfUnusable('enqueue');
    await this.#enqueue(segment);
  }

  /** Segments waiting plus in flight. */
  get pending(): number {
    return this.#queue.length + this.#inFlight.size;
  }

  /** End of stream: closes the open segment and waits until every queued segment is stored, skipped or failed. */
  async drain(): Promise<void> {
    this.#throwIfUnusable('drain');
    for (const segment of await this.#segments.flush()) await this.#enqueue(segment);
    while (this.pending > 0 && !this.#fatal) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    if (this.#fatal) throw this.#fatal;
  }

  /**
   * Stops: the open segment is left unclosed, waiting segments are recorded as failed (so a later retry finds
   * them), and the segments in flight are finished — or, with `abort`, cancelled and recorded as failed.
   * Does not close the store.
   */
  async close({ abort = false }: { abort?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const segment of this.#queue.clear()) await this.#recordFailure(segment, 'not memorized before shutdown', 0);
    this.#queue.close();
    if (abort) this.#abort.abort(new Error('pipeline closed'));
    await Promise.all(this.#workers);
    this.#reportDrops(true);
    if (this.#fatal) throw this.#fatal;
  }

  async #enqueue(segment: Segment): Promise<void> {
    if (this.#overflow === 'wait') await this.#queue.room();
    const dropped = this.#queue.offer(segment);
    if (dropped) {
      this.counts.dropped++;
      this.#dropsSinceReport++;
      this.emit('dropped', dropped);
      this.#reportDrops(false);
    }
  }

  async #work(): Promise<void> {
    for (let segment = await this.#queue.take(); segment; segment = await this.#queue.take()) {
      this.#inFlight.add(segment);
      try {
        if (!this.#fatal) await this.#process(segment);
      } catch (error) {
        this.#fatal ??= error instanceof Error ? error : new Error(String(error));
        this.#logger.error(`memory pipeline stopped: ${this.#fatal.message}`);
      } finally {
        this.#inFlight.delete(segment);
        if (this.pending === 0 || this.#fatal) for (const wake of this.#idleWaiters.splice(0)) wake();
      }
    }
  }

  async #process(segment: Segment): Promise<void> {
    if (await this.#store.get(memoryId(segment.robotId, segment.episode, segment.start))) {
      this.counts.skipped++;
      this.emit('skipped', segment);
      return;
    }
    const context: MemorizeContext = { window: await this.#window(segment), focus: this.#focus ? await this.#focus(segment) : null };
    let outcome = await this.#memorize(this.#memorizer, segment, context);
    if (outcome.kind === 'failed' && outcome.unreachable && this.#fallback) {
      this.counts.fallback++;
      this.#logger.debug(`segment at ${formatStamp(segment.start)}: ${this.#memorizer.name} unreachable, written by ${this.#fallback.name}`);
      outcome = await this.#memorize(this.#fallback, segment, context);
    }
    if (outcome.kind === 'failed') {
      await this.#store.recordFailure(outcome.failure);
      this.counts.failed++;
      this.emit('failed', outcome.failure, segment);
      return;
    }
    await this.#store.put(outcome.memory);
    // A segment that failed in an earlier run and is now stored is no longer a failure.
    await this.#store.clearFailure(outcome.memory.id);
    this.counts.stored++;
    this.emit('stored', outcome.memory, segment);
  }

  async #memorize(memorizer: Memorizer, segment: Segment, context: MemorizeContext): Promise<MemorizeOutcome> {
    try {
      return await memorizer.memorize(segment, context, this.#abort.signal);
    } catch (error) {
      // A memorizer should report failures as outcomes; a throw is still a failed segment, not a lost one.
      const reason = this.#abort.signal.aborted ? 'cancelled at shutdown' : `${memorizer.name} threw: ${error instanceof Error ? error.message : String(error)}`;
      return { kind: 'failed', failure: failureOf(segment, reason, 1) };
    }
  }

  /** Previous memories of the episode that lie inside the window ending at the segment's end. */
  async #window(segment: Segment): Promise<Memory[]> {
    const { window_s, window_memories } = this.#config.segment;
    if (window_memories === 0) return [];
    const from = segment.end - secondsToNanos(window_s);
    const memories = await this.#store.window(segment.robotId, segment.episode, segment.start, window_memories);
    return memories.filter((m) => m.start >= from);
  }

  async #recordFailure(segment: Segment, reason: string, attempts: number): Promise<void> {
    const failure = failureOf(segment, reason, attempts);
    await this.#store.recordFailure(failure);
    this.counts.failed++;
    this.emit('failed', failure, segment);
  }

  #reportDrops(final: boolean): void {
    if (this.#dropsSinceReport === 0) return;
    const now = this.#now();
    if (!final && now - this.#lastDropReport < DROP_REPORT_INTERVAL_MS) return;
    this.#logger.warn(
      `memorizer is slower than the stream: ${this.#dropsSinceReport} segment(s) dropped (${this.#config.memorizer.drop_policy}, ` +
        `queue_size ${this.#config.memorizer.queue_size}) since the last report; ${this.counts.dropped} in all`,
    );
    this.#dropsSinceReport = 0;
    this.#lastDropReport = now;
  }

  #throwIfUnusable(method: string): void {
    if (this.#fatal) throw this.#fatal;
    if (this.#closed) throw new Error(`MemoryPipeline#${method}: the pipeline is closed`);
  }
}

function failureOf(segment: Segment, reason: string, attempts: number): FailedSegment {
  return {
    id: memoryId(segment.robotId, segment.episode, segment.start),
    robotId: segment.robotId,
    episode: segment.episode,
    segmentIndex: segment.index,
    start: segment.start,
    end: segment.end,
    reason,
    attempts,
  };
}
