import { EventEmitter, setMaxListeners } from 'node:events';
import type { Config } from '../config/schema.js';
import type { EmbeddingSource } from '../embed/EmbeddingSource.js';
import { MemoryEmbedder, type EmbeddingCounts } from '../embed/MemoryEmbedder.js';
import { CauseCounter, silentLogger, type Logger } from '../log.js';
import { AudioDecoder } from '../media/AudioDecoder.js';
import type { FrameConverter } from '../media/ImageConverter.js';
import type { PcmChunk } from '../media/PcmChunk.js';
import { Segmenter } from '../segment/Segmenter.js';
import type { SpeechTrack } from '../segment/SpeechTrack.js';
import type { FocusContext, MemorizeContext, MemorizeOutcome, Memorizer, SegmentFrames } from '../memorize/Memorizer.js';
import { windowFramesPerSegment, WindowFrames } from './WindowFrames.js';
import { memoryId, type FailedSegment, type Memory } from '../memory/Memory.js';
import type { EmbeddingLeases } from '../memory/EmbeddingLeases.js';
import type { IngestRecords } from '../memory/IngestRecords.js';
import type { MemoryEmbedding, MemoryRecords } from '../memory/MemoryRecords.js';
import { failedSegment } from '../memory/segmentIdentity.js';
import type { Keyframe, Segment } from '../segment/Segment.js';
import { formatStamp, secondsToNanos } from '../time.js';
import { SegmentQueue } from './SegmentQueue.js';
import { messageProblem } from './SensorFields.js';
import { rosTypeOf, type SensorMessage } from './SensorMessage.js';

/** Supplies task focus for a segment (src/focus); null when no focus is active. */
export type FocusProvider = (segment: Segment) => FocusContext | null | Promise<FocusContext | null>;

/** Makes the thumbnails kept with a stored memory from its segment's keyframes (src/media/keyframeThumbnails). */
export type ThumbnailMaker = (keyframes: Keyframe[]) => Promise<Uint8Array[]>;

export interface MemoryPipelineEvents {
  /** The segmenter closed a segment and it enters the queue. */
  closed: [segment: Segment];
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
  config: Pick<Config, 'robot_id' | 'segment' | 'memorizer'>;
  /** Turns chosen camera frames into keyframes (an ImageConverter of `camera.*`). */
  converter: FrameConverter;
  /** Finds the speech in the audio; null or absent: audio messages are ignored. */
  speech?: SpeechTrack | null;
  /**
   * Number of the first episode; with `episodes`, the run's ordinal episode to start at (0, or where a replaced
   * pipeline of the same run stopped).
   */
  firstEpisode?: number;
  /**
   * The store episode of each of the run's ordinal episodes (RunEpisodes#episode): the segmenter counts episodes
   * from `firstEpisode`, and each segment is given the store's number for its ordinal before it is queued.
   * Absent: the segmenter's numbers are the episodes.
   */
  episodes?: (ordinal: number) => Promise<number>;
  memorizer: Memorizer;
  /** Writes the segment when the memorizer reports its endpoint unreachable and `memorizer.fallback` is true. */
  fallback?: Memorizer | null;
  store: MemoryRecords & IngestRecords & EmbeddingLeases;
  /**
   * Embeds every memory stored, its vector stored with it (MemoryEmbedder); null or absent: memories are stored
   * without vectors.
   */
  embedding?: EmbeddingSource | null;
  focus?: FocusProvider;
  /**
   * Thumbnails for each stored memory (store.thumbnails); absent or null: none. Made once per segment, for the
   * memory that is stored, however many candidates the memorizer wrote.
   */
  thumbnails?: ThumbnailMaker | null;
  logger?: Logger;
  /**
   * What `push` does when the queue is full: `drop` applies `memorizer.drop_policy` (a live stream cannot wait);
   * `wait` makes `push` wait for room (a recording can), so nothing is dropped.
   */
  overflow?: 'drop' | 'wait';
  /** Segments memorized at once. 1 keeps memories in order, so each prompt's window holds the previous memory. */
  concurrency?: number;
  /**
   * Whether a segment that already has a memory is memorized again, the new memory replacing it under the same id
   * (`taskmem remember --again` redoes the perception memorizer's); absent: such segments are skipped. When the
   * new attempt fails, the stored memory stays and the failure is recorded.
   */
  redo?: (stored: Memory) => boolean;
  /** Milliseconds clock for rate-limiting the drop report; the wall clock by default. */
  now?: () => number;
}

const DROP_REPORT_INTERVAL_MS = 60_000;
const DONE: Promise<void> = Promise.resolve();

/**
 * The memory pipeline: sensor messages → Segmenter (keyframes, speech, poses) → bounded queue → memorizer (with
 * the window of previous memories and the task focus) → store. Made by the assembly (src/assembly) for the ROS
 * node, `taskmem ingest`, the benchmark harness and the demo alike; it knows nothing of ROS.
 *
 * Invariants: every segment the segmenter emits ends as exactly one of stored, skipped (already stored), failed
 * (recorded in the store) or dropped (counted, reported); with concurrency 1 they end in stamp order, so each
 * prompt's window holds the memory just before. Bad input is counted by cause and skipped, never thrown. A store
 * error is fatal: it is rethrown by the next `push`, `drain` or `close`.
 */
export class MemoryPipeline extends EventEmitter<MemoryPipelineEvents> {
  readonly #segmenter: Segmenter;
  readonly #speech: SpeechTrack | null;
  readonly #audio: AudioDecoder | null;
  readonly #counter: CauseCounter;
  /** Resolves when the last pushed message has been handed to the segmenter: messages reach it in push order. */
  #handedOver: Promise<void> = Promise.resolve();
  /** Work started by pushed messages (conversions, closed segments queued) that has not finished. */
  readonly #started = new Set<Promise<void>>();
  readonly #memorizer: Memorizer;
  readonly #fallback: Memorizer | null;
  readonly #redo: (stored: Memory) => boolean;
  readonly #store: MemoryRecords & IngestRecords;
  readonly #embedder: MemoryEmbedder | null;
  readonly #config: Pick<Config, 'robot_id' | 'segment' | 'memorizer'>;
  readonly #focus: FocusProvider | null;
  readonly #thumbnails: ThumbnailMaker | null;
  readonly #logger: Logger;
  readonly #overflow: 'drop' | 'wait';
  readonly #now: () => number;
  readonly #queue: SegmentQueue;
  readonly #workers: Promise<void>[];
  readonly #episodes: ((ordinal: number) => Promise<number>) | null;
  /**
   * Cancels the segments in flight (close with abort). Every model request links to it only while it runs
   * (ModelClient), so listeners never pile up on it; the requests of concurrent segments and candidates may be
   * more than EventTarget's default warning count at once.
   */
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Segment>();
  /** Frames of recent segments for the window (segment.window_fps); null when the policy sees the new segment's only. */
  readonly #recentFrames: WindowFrames | null;
  /** The earlier segments' frames each queued segment is memorized with, taken when it was queued. */
  readonly #framesOf = new WeakMap<Segment, SegmentFrames[]>();
  #idleWaiters: (() => void)[] = [];
  #fatal: Error | null = null;
  #closed = false;
  #recordFailures = true;
  #closing: Promise<void> | null = null;
  #dropsSinceReport = 0;
  #lastDropReport = Number.NEGATIVE_INFINITY;
  readonly counts = { stored: 0, skipped: 0, failed: 0, dropped: 0, fallback: 0 };

  constructor({
    config,
    converter,
    speech = null,
    firstEpisode = 0,
    episodes,
    memorizer,
    fallback = null,
    store,
    embedding = null,
    focus,
    thumbnails = null,
    logger = silentLogger,
    overflow = 'drop',
    concurrency = 1,
    now = Date.now,
    redo = () => false,
  }: MemoryPipelineOptions) {
    super();
    this.#counter = new CauseCounter(logger);
    this.#speech = speech;
    this.#audio = speech ? new AudioDecoder({ counter: this.#counter }) : null;
    this.#segmenter = new Segmenter({
      segment: config.segment,
      converter,
      logger,
      robotId: config.robot_id,
      firstEpisode,
      ...(speech ? { speech } : {}),
      onSegment: (segment) => this.#fromSegmenter(segment),
    });
    this.#episodes = episodes ?? null;
    this.#memorizer = memorizer;
    this.#fallback = config.memorizer.fallback ? fallback : null;
    this.#store = store;
    this.#embedder = embedding ? new MemoryEmbedder({ source: embedding, store, logger }) : null;
    this.#config = config;
    this.#focus = focus ?? null;
    this.#thumbnails = thumbnails;
    this.#logger = logger;
    this.#overflow = overflow;
    this.#now = now;
    this.#redo = redo;
    this.#queue = new SegmentQueue({ capacity: config.memorizer.queue_size, policy: config.memorizer.drop_policy });
    const perSegment = windowFramesPerSegment(config.segment);
    this.#recentFrames = perSegment > 0 ? new WindowFrames({ perSegment, windowS: config.segment.window_s }) : null;
    setMaxListeners(0, this.#abort.signal);
    this.#workers = Array.from({ length: concurrency }, () => this.#work());
    // What earlier runs left without a vector of the model is caught up from the start.
    this.#embedder?.catchUp();
  }

  /**
   * Feeds one sensor message. The promise resolves when the work it started is done: frame conversions it made
   * certain and the segments it closed, queued — with overflow `wait`, after waiting for room. A live caller need
   * not await it (segments stay in order either way) but must not reuse the message's buffers. A message that
   * lacks a field taskmem reads (see SensorFields) is counted as `malformed_<kind>`, logged once, and dropped.
   */
  push(sensor: SensorMessage): Promise<void> {
    try {
      this.#throwIfUnusable('push');
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const problem = messageProblem(sensor.kind, sensor.message);
    if (problem) {
      this.#counter.count(
        `malformed_${sensor.kind}`,
        `MemoryPipeline: a ${rosTypeOf(sensor.kind)} message ${problem}, so it is not the standard message its topic's type names; dropped`,
      );
      return DONE;
    }
    const decoder = this.#audio;
    switch (sensor.kind) {
      case 'image':
        return this.#inOrder(() => this.#segmenter.pushFrame(sensor.message, 'image'));
      case 'compressed_image':
        return this.#inOrder(() => this.#segmenter.pushFrame(sensor.message, 'compressed'));
      case 'pose_stamped':
      case 'odometry':
      case 'pose_with_covariance_stamped':
        return this.#inOrder(() => this.#segmenter.pushPose(sensor.message));
      case 'audio_info':
        return decoder ? this.#inOrder(() => (decoder.setInfo(sensor.message), DONE)) : DONE;
      case 'audio_data_stamped':
        return decoder ? this.#inOrder(() => ({ decoded: decoder.decodeAudioData(sensor.message) })) : DONE;
      case 'audio_stamped':
        return decoder ? this.#inOrder(() => ({ decoded: Promise.resolve(decoder.decodeAudioStamped(sensor.message)) })) : DONE;
    }
  }

  /** Inputs dropped or rejected so far, by cause (late frames, bad images, undecodable audio…). */
  get dropped(): Record<string, number> {
    const counts: Record<string, number> = { ...this.#segmenter.dropped };
    for (const [cause, n] of Object.entries(this.#counter.snapshot())) counts[cause] = (counts[cause] ?? 0) + n;
    return counts;
  }

  /** The episode the next message belongs to, unless it starts a new one; the run's ordinal with `episodes`. */
  get episode(): number {
    return this.#segmenter.episode;
  }

  /** Queues a closed segment directly (a retry of a failed segment, or a caller with its own segmenter). */
  async enqueue(segment: Segment): Promise<void> {
    this.#throwIfUnusable('enqueue');
    await this.#enqueue(segment);
  }

  /** What the embedding did (memories stored with and without their vector, caught up, failures); null without a source. */
  get embedding(): EmbeddingCounts | null {
    return this.#embedder?.counts ?? null;
  }

  /** Segments waiting plus in flight. */
  get pending(): number {
    return this.#queue.length + this.#inFlight.size;
  }

  /**
   * End of stream: closes the open segments (ending the episode) and waits until every segment is stored,
   * skipped or failed, and the embedding catch-up has tried once more after the last of them.
   */
  async drain(): Promise<void> {
    this.#throwIfUnusable('drain');
    await this.#handedOver;
    await this.#segmenter.flush();
    await this.settle();
    await this.#embedder?.finish();
  }

  /**
   * Resolves when every segment closed so far is stored, skipped or failed; the open segment stays open. For a
   * caller that awaited its pushes and needs the store up to date at this moment of the stream (a question
   * arriving in a benchmark).
   */
  async settle(): Promise<void> {
    await this.#handedOver;
    await Promise.allSettled([...this.#started]);
    while (this.pending > 0 && !this.#fatal) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    if (this.#fatal) throw this.#fatal;
  }

  /**
   * Stops: the open segment is left unclosed, waiting segments are recorded as failed (so a later retry finds
   * them), and the segments in flight are finished — or, with `abort`, cancelled (their model requests, retry
   * waits and transcriptions aborted) and recorded as failed; the embedding catch-up in flight ends likewise. With
   * `record: false`, or after a store error, nothing is recorded: the store cannot take it (a rerun memorizes those
   * segments anyway, the progress having stopped before them). Does not close the store.
   */
  close({ abort = false, record = true }: { abort?: boolean; record?: boolean } = {}): Promise<void> {
    if (!record) this.#recordFailures = false;
    if (abort) {
      this.#abort.abort(new Error('pipeline closed'));
      this.#speech?.abort();
    }
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    for (const segment of this.#queue.clear()) if (this.#recording) await this.#recordFailure(segment, 'not memorized before shutdown', 0);
    this.#queue.close();
    if (this.pending === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    await Promise.all(this.#workers);
    await this.#embedder?.close({ abort: this.#abort.signal.aborted });
    this.#reportDrops(true);
    if (this.#fatal) throw this.#fatal;
  }

  /** Whether failures are still recorded in the store: not after a store error, nor once told not to. */
  get #recording(): boolean {
    return this.#recordFailures && !this.#fatal;
  }

  /**
   * Hands a message to the segmenter after every message pushed before it, so that frames, poses and audio
   * (whose decoding may be asynchronous) keep their arrival order — a frame never overtakes the audio chunk
   * before it. The order waits only for the hand-over, never for the work it starts (conversions, queueing
   * closed segments), which the returned promise and `settle` track.
   */
  #inOrder(handOver: () => Promise<void> | { decoded: Promise<PcmChunk | null> }): Promise<void> {
    const handed = this.#handedOver.then(async () => {
      const step = handOver();
      if (!('decoded' in step)) return { work: step };
      const chunk = await step.decoded;
      return { work: chunk ? this.#segmenter.pushAudio(chunk) : DONE };
    });
    this.#handedOver = handed.then(
      () => undefined,
      () => undefined,
    );
    const work = handed.then(({ work }) => work);
    this.#started.add(work);
    const forget = () => this.#started.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** A segment the segmenter closed, numbered with its store episode when the run's episodes are claimed. */
  async #fromSegmenter(closed: Segment): Promise<void> {
    if (this.#closed || !this.#episodes) return this.#enqueue(closed);
    let episode: number;
    try {
      episode = await this.#episodes(closed.episode);
    } catch (error) {
      // No episode, no memory id: as with any store failure, the pipeline stops.
      this.#fatal ??= error instanceof Error ? error : new Error(String(error));
      this.#logger.error(`memory pipeline stopped: ${this.#fatal.message}`);
      throw this.#fatal;
    }
    return this.#enqueue({ ...closed, episode });
  }

  async #enqueue(segment: Segment): Promise<void> {
    if (this.#closed) return;
    if (this.#recentFrames) this.#framesOf.set(segment, this.#recentFrames.add(segment));
    this.emit('closed', segment);
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
        // One bounded catch-up batch per segment, in the background: the next segment does not wait for it.
        if (!this.#fatal) this.#embedder?.catchUp();
        this.#inFlight.delete(segment);
        if (this.pending === 0 || this.#fatal) for (const wake of this.#idleWaiters.splice(0)) wake();
      }
    }
  }

  async #process(segment: Segment): Promise<void> {
    const stored = await this.#store.get(memoryId(segment.robotId, segment.episode, segment.start));
    if (stored && !this.#redo(stored)) {
      this.counts.skipped++;
      this.emit('skipped', segment);
      return;
    }
    const context: MemorizeContext = {
      window: await this.#window(segment),
      windowFrames: this.#framesOf.get(segment) ?? [],
      focus: this.#focus ? await this.#focus(segment) : null,
    };
    let outcome = await this.#memorize(this.#memorizer, segment, context);
    if (outcome.kind === 'failed' && outcome.unreachable && this.#fallback) {
      this.counts.fallback++;
      this.#logger.debug(
        `segment at ${formatStamp(segment.start)}: ${this.#memorizer.name} unreachable, written by ${this.#fallback.name}`,
      );
      outcome = await this.#memorize(this.#fallback, segment, context);
    }
    if (outcome.kind === 'failed') {
      if (this.#recording) await this.#store.recordFailure(outcome.failure);
      this.counts.failed++;
      this.emit('failed', outcome.failure, segment);
      return;
    }
    const memory = this.#thumbnails ? { ...outcome.memory, thumbnails: await this.#thumbnails(segment.keyframes) } : outcome.memory;
    await this.#put(memory, (await this.#embedder?.forNew(memory, this.#abort.signal)) ?? null);
    // A segment that failed in an earlier run and is now stored is no longer a failure.
    await this.#store.clearFailure(memory.id);
    this.counts.stored++;
    this.emit('stored', memory, segment);
  }

  /**
   * Stores the memory with its vector in one transaction. Should the store refuse the vector (one of another length
   * than the model's stored ones), the memory is stored without it rather than lost.
   */
  async #put(memory: Memory, embedding: MemoryEmbedding | null): Promise<void> {
    if (embedding) {
      try {
        await this.#store.put(memory, embedding);
        this.#embedder!.stored(true);
        return;
      } catch (error) {
        this.#embedder!.refusedByStore(memory, error);
      }
    }
    await this.#store.put(memory);
    this.#embedder?.stored(false);
  }

  async #memorize(memorizer: Memorizer, segment: Segment, context: MemorizeContext): Promise<MemorizeOutcome> {
    try {
      return await memorizer.memorize(segment, context, this.#abort.signal);
    } catch (error) {
      // A memorizer should report failures as outcomes; a throw is still a failed segment, not a lost one.
      const reason = this.#abort.signal.aborted
        ? 'cancelled at shutdown'
        : `${memorizer.name} threw: ${error instanceof Error ? error.message : String(error)}`;
      return { kind: 'failed', failure: failedSegment(segment, reason, 1) };
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
    const failure = failedSegment(segment, reason, attempts);
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
