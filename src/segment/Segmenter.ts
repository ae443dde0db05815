import type { SegmentParams } from '../config/sections/segment.js';
import { CauseCounter, type Logger } from '../log.js';
import type { CompressedImageMsg, ImageMsg } from '../messages.js';
import type { CameraFrame, FrameConverter } from '../media/ImageConverter.js';
import { ImageRejectedError } from '../media/ImageRejectedError.js';
import { PCM_SAMPLE_RATE, type PcmChunk } from '../media/PcmChunk.js';
import { formatStamp, fromRosTime, nanosToSeconds, secondsToNanos, type RosNanos } from '../time.js';
import { KeyframeSelector, type Candidate } from './KeyframeSelector.js';
import { poseFromMessage, type PoseMessage } from './pose.js';
import type { Keyframe, Pose, Segment, SpeechSpan, TranscriptLine } from './Segment.js';
import type { SpeechTrack } from './SpeechTrack.js';

export interface SegmenterOptions {
  segment: Pick<SegmentParams, 'duration_s' | 'keyframes' | 'reorder_tolerance_s' | 'max_pending_frames'>;
  /** Turns chosen frames into keyframes; `new ImageConverter(config.camera)` outside tests. */
  converter: FrameConverter;
  logger: Logger;
  robotId: string;
  /** Number of the first episode; a restarted node passes one more than the last episode it stored. */
  firstEpisode?: number;
  /** Receives the audio and gives each segment its speech; without it, segments carry frames and poses only. */
  speech?: SpeechTrack;
  /**
   * Receives each segment that has keyframes or speech, in order, one at a time: a returned promise is awaited
   * before the next segment is given. An ingest uses that for back-pressure; a live node should hand the
   * segment to its own bounded queue and return.
   */
  onSegment: (segment: Segment) => void | Promise<void>;
}

type Stream = 'camera' | 'audio' | 'pose';
const NOUN: Record<Stream, string> = { camera: 'camera frame', audio: 'audio chunk', pose: 'pose' };

/** A message held before it can be placed, with what places it. */
interface HeldMessage {
  stream: Stream;
  stamp: RosNanos;
  place: () => void;
}
/**
 * A message more than the tolerance older than the newest of its own stream is a straggler when it comes alone
 * (dropped as late), but means the clock itself jumped back when this many come in a row on that stream.
 */
const RESET_CONFIRMATIONS = 2;

interface OpenSegment {
  index: number;
  start: RosNanos;
  end: RosNanos;
  selector: KeyframeSelector<CameraFrame>;
  keyframes: Promise<Keyframe | undefined>[];
  poses: Pose[];
  /** Audio placed in the segment so far, ns of 16 kHz samples (bounded by MAX_AUDIO_PER_SEGMENT). */
  audio: RosNanos;
  dropped: Record<string, number>;
}

/**
 * Most audio one segment takes, as a multiple of its duration. Audio never comes faster than real time, so more
 * means overlapping chunks: a sample rate declared lower than the data's (each chunk then claims a longer span
 * than it covers), or one topic published twice. The slack covers capture jitter and stream restarts.
 */
const MAX_AUDIO_PER_SEGMENT = 1.5;

const DONE: Promise<void> = Promise.resolve();
const NO_SPEECH = { speech: [] as SpeechSpan[], transcript: [] as TranscriptLine[] };

/**
 * Cuts timestamped camera frames, audio and poses into Segments of `segment.duration_s`, by header stamps (ROS
 * time), aligned to the first stamp of the episode.
 *
 * - A segment closes when a message arrives whose stamp is at least its end plus `segment.reorder_tolerance_s`
 *   (or on `flush`). Messages up to the tolerance older than the newest are placed in their segment; older ones
 *   are dropped and counted as `late`.
 * - Keyframes are chosen by stamp alone (KeyframeSelector) and converted as soon as they are certain, so that
 *   conversion is spread over the segment; a frame that is not chosen is never decoded. Frames held unconverted
 *   are bounded by `segment.max_pending_frames` (beyond it the oldest is dropped and counted as `buffer_full`).
 * - When a stream's stamps go back by more than the tolerance on two messages in a row (a simulation reset, a new
 *   recording), the open segments close and a new episode starts, numbered one more, indices from 0.
 *   `flush` also ends the episode: the next message starts a new one.
 * - The first messages of an episode are held until its first stamp is certain (one arrives a tolerance later),
 *   so that segments align to the earliest stamp even when it arrives second. Audio reaches the speech track in
 *   stamp order, a tolerance after it arrives, and always before the take of the segment it falls in.
 * - A segment with neither keyframes nor speech (a gap in the stream) is not emitted; what was dropped meanwhile
 *   is counted in the next emitted segment's `dropped`.
 *
 * Push methods do their bookkeeping at once and return a promise of the work they started: conversions of
 * frames they made certain and the emission of segments they closed. Callers may await it (back-pressure) or not;
 * segments are emitted in order either way. The promise rejects only when `onSegment` throws; bad input is
 * counted, logged once per cause and skipped. Messages are kept by reference until converted: callers must not
 * reuse their buffers.
 */
export class Segmenter {
  readonly #duration: RosNanos;
  readonly #tolerance: RosNanos;
  readonly #keyframeCount: number;
  readonly #maxPending: number;
  readonly #converter: FrameConverter;
  readonly #logger: Logger;
  readonly #robotId: string;
  readonly #speech: SpeechTrack | undefined;
  readonly #onSegment: (segment: Segment) => void | Promise<void>;
  readonly #counter: CauseCounter;

  #episode: number;
  /** First stamp of the episode; undefined until it is certain (see #begin). */
  #origin: RosNanos | undefined;
  /** Messages of an episode whose first stamp is not certain yet, because an earlier one may still arrive. */
  #starting: HeldMessage[] = [];
  /** Newest stamp of the episode. */
  #clock: RosNanos = 0n;
  readonly #streamClocks = new Map<Stream, RosNanos>();
  /** Messages that went back in time on their stream, per stream, until confirmed or dismissed. */
  readonly #suspects = new Map<Stream, HeldMessage[]>();
  /** Newest stamp of the previous episode when the clock jumped back: messages still in flight from it are late. */
  #jumpedFrom: RosNanos | undefined;
  /** Audio chunks not yet given to the speech track, by stamp: they are given in order once none can precede them. */
  #audio: PcmChunk[] = [];
  /** Open segments by start, oldest first. */
  #open: OpenSegment[] = [];
  /** Drops since the last segment closed; they go into the next one. */
  #drops: Record<string, number> = {};
  /** Drops of closed segments that were not emitted; they go into the next emitted one. */
  #carried: Record<string, number> = {};
  /** Tail of the emission chain (never rejects). */
  #emitted: Promise<void> = DONE;
  /** Tail of the chain of SpeechTrack calls, which must run in the order they were made. */
  #speechCalls: Promise<unknown> = DONE;

  constructor({ segment, converter, logger, robotId, firstEpisode = 0, speech, onSegment }: SegmenterOptions) {
    this.#duration = secondsToNanos(segment.duration_s);
    this.#tolerance = secondsToNanos(segment.reorder_tolerance_s);
    this.#keyframeCount = segment.keyframes;
    this.#maxPending = segment.max_pending_frames;
    this.#converter = converter;
    this.#logger = logger;
    this.#robotId = robotId;
    this.#speech = speech;
    this.#onSegment = onSegment;
    this.#counter = new CauseCounter(logger);
    this.#episode = firstEpisode;
  }

  /** The episode the next message belongs to, unless it starts a new one. */
  get episode(): number {
    return this.#episode;
  }

  /** Everything dropped or rejected since construction, by cause. */
  get dropped(): Record<string, number> {
    return this.#counter.snapshot();
  }

  pushFrame(msg: ImageMsg, kind: 'image'): Promise<void>;
  pushFrame(msg: CompressedImageMsg, kind: 'compressed'): Promise<void>;
  pushFrame(msg: ImageMsg | CompressedImageMsg, kind: 'image' | 'compressed'): Promise<void> {
    const frame = { kind, msg } as CameraFrame;
    const stamp = fromRosTime(msg.header.stamp);
    try {
      this.#converter.check(frame);
    } catch (err) {
      if (!(err instanceof ImageRejectedError)) throw err;
      this.#drop(err.code, `Segmenter: camera frame at ${formatStamp(stamp)} rejected: ${err.message}`);
      return DONE;
    }
    return this.#receive('camera', stamp, () => this.#placeFrame(stamp, frame));
  }

  pushAudio(chunk: PcmChunk): Promise<void> {
    return this.#receive('audio', chunk.stamp, () => this.#placeAudio(chunk));
  }

  pushPose(msg: PoseMessage | Pose): Promise<void> {
    let pose: Pose;
    try {
      pose = 'yaw' in msg ? msg : poseFromMessage(msg);
    } catch (err) {
      this.#drop('invalid_pose', `Segmenter: ${(err as Error).message}; dropped`);
      return DONE;
    }
    return this.#receive('pose', pose.stamp, () => this.#placePose(pose));
  }

  /** Closes and emits every open segment and ends the episode; resolves when all segments are emitted. */
  flush(): Promise<void> {
    for (const [stream, suspects] of this.#suspects) this.#dismiss(stream, suspects);
    this.#suspects.clear();
    const started = this.#start();
    const closed = this.#endEpisode();
    this.#jumpedFrom = undefined;
    return settled([started, closed, this.#emitted]);
  }

  #receive(stream: Stream, stamp: RosNanos, place: () => void): Promise<void> {
    if (stamp === 0n) {
      this.#drop(
        'unstamped',
        `Segmenter: ${NOUN[stream]} has header stamp 0 (not set by its driver, or /clock not yet running under use_sim_time); dropped`,
      );
      return DONE;
    }
    const own = this.#streamClocks.get(stream);
    if (own !== undefined && stamp < own - this.#tolerance) {
      const suspects = this.#suspects.get(stream) ?? [];
      suspects.push({ stream, stamp, place });
      this.#suspects.set(stream, suspects);
      return suspects.length < RESET_CONFIRMATIONS ? DONE : this.#jumpBack(stream, stamp);
    }
    const stragglers = this.#suspects.get(stream);
    if (stragglers) {
      this.#dismiss(stream, stragglers);
      this.#suspects.delete(stream);
    }
    return this.#admit(stream, stamp, place);
  }

  #admit(stream: Stream, stamp: RosNanos, place: () => void): Promise<void> {
    return this.#origin === undefined ? this.#begin({ stream, stamp, place }) : this.#accept(stream, stamp, place);
  }

  /**
   * Holds the first messages of an episode until its first stamp is certain: until one arrives at least the
   * tolerance after the oldest held (or the hold exceeds segment.max_pending_frames, or on flush). Segments are
   * aligned to the oldest, and the held messages are then placed in stamp order.
   */
  #begin(message: HeldMessage): Promise<void> {
    const { stream, stamp } = message;
    if (this.#starting.length > 0) {
      const newest = this.#starting.reduce((m, s) => max(m, s.stamp), this.#starting[0]!.stamp);
      if (this.#isStale(stream, stamp, newest)) {
        this.#dropStale(message);
        return DONE;
      }
      if (stamp < newest - this.#tolerance) {
        this.#dropLate(stream, stamp, newest);
        return DONE;
      }
    }
    this.#starting.push(message);
    const newest = this.#starting.reduce((m, s) => max(m, s.stamp), stamp);
    const oldest = this.#starting.reduce((m, s) => (s.stamp < m ? s.stamp : m), stamp);
    if (newest - oldest < this.#tolerance && this.#starting.length <= this.#maxPending) return DONE;
    return this.#start();
  }

  #start(): Promise<void> {
    const held = this.#starting.sort((a, b) => compare(a.stamp, b.stamp));
    this.#starting = [];
    if (held.length === 0) return DONE;
    this.#origin = held[0]!.stamp;
    this.#clock = this.#origin;
    return settled(held.map((m) => this.#accept(m.stream, m.stamp, m.place)));
  }

  /**
   * After the clock jumped back from `#jumpedFrom`, messages of the old timeline may still be in flight on the
   * streams that have not spoken since: one that is ahead of the new timeline and not past the old one is such.
   */
  #isStale(stream: Stream, stamp: RosNanos, newest: RosNanos): boolean {
    return (
      this.#jumpedFrom !== undefined &&
      !this.#streamClocks.has(stream) &&
      stamp > newest + this.#tolerance &&
      stamp <= this.#jumpedFrom + this.#tolerance
    );
  }

  #dropStale({ stream, stamp }: HeldMessage): void {
    this.#drop('late', `Segmenter: ${NOUN[stream]} at ${formatStamp(stamp)} is from before the clock jumped back; dropped`);
  }

  #dismiss(stream: Stream, suspects: HeldMessage[]): void {
    for (const { stamp } of suspects) this.#dropLate(stream, stamp);
  }

  #jumpBack(stream: Stream, stamp: RosNanos): Promise<void> {
    const from = this.#clock;
    this.#logger.info(
      `Segmenter: ${stream} time jumped back from ${formatStamp(from)} to ${formatStamp(stamp)}: ` +
        `episode ${this.#episode} ends, episode ${this.#episode + 1} starts`,
    );
    const replay = [...this.#suspects.values()].flat().sort((a, b) => compare(a.stamp, b.stamp));
    this.#suspects.clear();
    const work = [this.#endEpisode()];
    this.#jumpedFrom = from;
    for (const suspect of replay) work.push(this.#admit(suspect.stream, suspect.stamp, suspect.place));
    return settled(work);
  }

  #accept(stream: Stream, stamp: RosNanos, place: () => void): Promise<void> {
    if (this.#isStale(stream, stamp, this.#clock)) {
      this.#dropStale({ stream, stamp, place });
      return DONE;
    }
    if (stamp < this.#clock - this.#tolerance || stamp < this.#origin!) {
      this.#dropLate(stream, stamp);
      return DONE;
    }
    this.#streamClocks.set(stream, max(this.#streamClocks.get(stream) ?? stamp, stamp));
    this.#clock = max(this.#clock, stamp);
    place();
    return this.#advance();
  }

  #dropLate(stream: Stream, stamp: RosNanos, newest = this.#clock): void {
    const behind = nanosToSeconds(newest - stamp).toFixed(3);
    this.#drop(
      'late',
      `Segmenter: ${NOUN[stream]} at ${formatStamp(stamp)} arrived ${behind} s behind the newest message ` +
        `(segment.reorder_tolerance_s = ${nanosToSeconds(this.#tolerance)}); dropped`,
    );
  }

  /** Converts candidates made certain by the clock and closes the segments it has passed. */
  #advance(): Promise<void> {
    const horizon = this.#clock - this.#tolerance;
    const work: Promise<unknown>[] = this.#releaseAudio(horizon);
    for (const segment of this.#open) work.push(...this.#release(segment, horizon));
    while (this.#open[0] && this.#open[0].end <= horizon) work.push(this.#close(this.#open.shift()!));
    return work.length === 0 ? DONE : settled(work);
  }

  /** Starts converting the candidates of `segment` that no frame at or after `horizon` can beat. */
  #release(segment: OpenSegment, horizon: RosNanos): Promise<Keyframe | undefined>[] {
    const started = segment.selector.settle(horizon).map((candidate) => this.#convert(segment, candidate));
    segment.keyframes.push(...started);
    return started;
  }

  #convert(segment: OpenSegment, candidate: Candidate<CameraFrame>): Promise<Keyframe | undefined> {
    return this.#converter.convert(candidate.frame).catch((err: unknown) => {
      const cause = err instanceof ImageRejectedError ? err.code : 'conversion_failed';
      segment.dropped[cause] = (segment.dropped[cause] ?? 0) + 1;
      this.#counter.count(cause, `Segmenter: camera frame at ${formatStamp(candidate.stamp)} not converted: ${(err as Error).message}`);
      return undefined;
    });
  }

  #segmentAt(stamp: RosNanos): OpenSegment {
    const index = Number((stamp - this.#origin!) / this.#duration);
    let at = this.#open.findIndex((s) => s.index >= index);
    if (at !== -1 && this.#open[at]!.index === index) return this.#open[at]!;
    if (at === -1) at = this.#open.length;
    const start = this.#origin! + BigInt(index) * this.#duration;
    const end = start + this.#duration;
    const segment: OpenSegment = {
      index,
      start,
      end,
      selector: new KeyframeSelector(start, end, this.#keyframeCount),
      keyframes: [],
      poses: [],
      audio: 0n,
      dropped: {},
    };
    this.#open.splice(at, 0, segment);
    return segment;
  }

  #placeFrame(stamp: RosNanos, frame: CameraFrame): void {
    this.#segmentAt(stamp).selector.offer(stamp, frame);
    if (this.#open.length * this.#keyframeCount <= this.#maxPending) return; // each target holds at most one frame
    const pending = this.#open.flatMap((segment) => segment.selector.pending().map((candidate) => ({ segment, candidate })));
    if (pending.length <= this.#maxPending) return;
    pending.sort((a, b) => compare(a.candidate.stamp, b.candidate.stamp));
    for (const { segment, candidate } of pending.slice(0, pending.length - this.#maxPending)) {
      segment.selector.discard(candidate);
      this.#drop(
        'buffer_full',
        `Segmenter: more than segment.max_pending_frames = ${this.#maxPending} frames wait for conversion; ` +
          `the frame at ${formatStamp(candidate.stamp)} is dropped`,
      );
    }
  }

  #placeAudio(chunk: PcmChunk): void {
    if (!this.#speech) return;
    // Segments the chunk reaches into must exist to be given their speech when they close.
    const last = chunk.stamp + (BigInt(chunk.samples.length) * 1_000_000_000n) / BigInt(PCM_SAMPLE_RATE);
    const reached: OpenSegment[] = [];
    for (let t = chunk.stamp; t < last; t += this.#duration) reached.push(this.#segmentAt(t));
    if (last > chunk.stamp) reached.push(this.#segmentAt(last - 1n));
    const overlap = (s: OpenSegment) => min(s.end, last) - max(s.start, chunk.stamp);
    const bound = (this.#duration * BigInt(MAX_AUDIO_PER_SEGMENT * 100)) / 100n;
    const full = reached.find((s) => s.audio + overlap(s) > bound);
    if (full) {
      this.#drop(
        'audio_excess',
        `Segmenter: the audio chunk at ${formatStamp(chunk.stamp)} would give the segment at ${formatStamp(full.start)} more than ` +
          `${MAX_AUDIO_PER_SEGMENT} × its duration of audio: chunks overlap (is the AudioInfo sample rate right, or is the topic published twice?); dropped`,
      );
      return;
    }
    for (const s of new Set(reached)) s.audio += overlap(s);
    let at = this.#audio.length;
    while (at > 0 && this.#audio[at - 1]!.stamp > chunk.stamp) at--;
    this.#audio.splice(at, 0, chunk);
  }

  /** Gives the speech track, in stamp order, the held audio older than `horizon` (no earlier chunk can come). */
  #releaseAudio(horizon: RosNanos): Promise<void>[] {
    const speech = this.#speech;
    if (!speech) return [];
    let n = 0;
    while (n < this.#audio.length && this.#audio[n]!.stamp < horizon) n++;
    return this.#audio.splice(0, n).map((chunk) =>
      this.#speechCall(() => speech.push(chunk)).catch((err: unknown) => {
        this.#drop(
          'speech_failed',
          `Segmenter: audio at ${formatStamp(chunk.stamp)} not taken by the speech track: ${(err as Error).message}`,
        );
      }),
    );
  }

  #placePose(pose: Pose): void {
    const { poses } = this.#segmentAt(pose.stamp);
    let at = poses.length;
    while (at > 0 && poses[at - 1]!.stamp > pose.stamp) at--;
    poses.splice(at, 0, pose);
  }

  #speechCall<T>(call: () => Promise<T> | T): Promise<T> {
    const result = this.#speechCalls.then(call);
    this.#speechCalls = result.catch(() => undefined);
    return result;
  }

  #close(segment: OpenSegment): Promise<void> {
    // The conversions started here are awaited through segment.keyframes.
    void this.#release(segment, segment.end);
    addCounts(segment.dropped, this.#drops);
    this.#drops = {};
    const { index, start, end } = segment;
    const episode = this.#episode;
    const speech = this.#speech;
    const heard = speech
      ? this.#speechCall(() => speech.take(start, end)).catch((err: unknown) => {
          segment.dropped.speech_failed = (segment.dropped.speech_failed ?? 0) + 1;
          this.#counter.count('speech_failed', `Segmenter: no speech for the segment at ${formatStamp(start)}: ${(err as Error).message}`);
          return NO_SPEECH;
        })
      : Promise.resolve(NO_SPEECH);
    const emission = this.#emitted.then(async () => {
      const [converted, { speech: spans, transcript }] = await Promise.all([Promise.all(segment.keyframes), heard]);
      const keyframes = converted.filter((k): k is Keyframe => k !== undefined).sort((a, b) => compare(a.stamp, b.stamp));
      const dropped = addCounts(this.#carried, segment.dropped);
      if (keyframes.length === 0 && spans.length === 0 && transcript.length === 0) {
        this.#carried = dropped;
        return;
      }
      this.#carried = {};
      await this.#onSegment({
        robotId: this.#robotId,
        episode,
        index,
        start,
        end,
        keyframes,
        speech: spans,
        transcript,
        poses: segment.poses,
        dropped,
      });
    });
    this.#emitted = emission.catch(() => undefined);
    return emission;
  }

  /** Closes every open segment; the next message starts the next episode. */
  #endEpisode(): Promise<void> {
    const closed: Promise<unknown>[] = this.#releaseAudio(this.#clock + 1n);
    for (const segment of this.#open) closed.push(this.#close(segment));
    this.#open = [];
    if (this.#origin !== undefined) {
      const speech = this.#speech;
      if (speech) {
        void this.#speechCall(() => speech.reset()).catch((err: unknown) => {
          this.#drop('speech_failed', `Segmenter: the speech track could not be reset for a new episode: ${(err as Error).message}`);
        });
      }
      this.#episode += 1;
    }
    this.#origin = undefined;
    this.#clock = 0n;
    this.#streamClocks.clear();
    return settled(closed);
  }

  #drop(cause: string, detail: string): void {
    this.#drops[cause] = (this.#drops[cause] ?? 0) + 1;
    this.#counter.count(cause, detail);
  }
}

function settled(work: Promise<unknown>[]): Promise<void> {
  return Promise.all(work).then(() => undefined);
}

function addCounts(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [cause, n] of Object.entries(from)) into[cause] = (into[cause] ?? 0) + n;
  return into;
}

function max(a: RosNanos, b: RosNanos): RosNanos {
  return a > b ? a : b;
}

function min(a: RosNanos, b: RosNanos): RosNanos {
  return a < b ? a : b;
}

function compare(a: RosNanos, b: RosNanos): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
