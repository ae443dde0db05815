import type { Config } from '../config/schema.js';
import { type CauseCounter } from '../log.js';
import { PCM_SAMPLE_RATE, type PcmChunk } from '../media/PcmChunk.js';
import { SileroVad } from '../media/SileroVad.js';
import { Transcriber } from '../media/Transcriber.js';
import { formatStamp, NANOS_PER_SECOND, secondsToNanos, type RosNanos } from '../time.js';
import type { SpeechSpan, TranscriptLine } from './Segment.js';
import type { SpeechTrack } from './SpeechTrack.js';

const SAMPLE_NS = NANOS_PER_SECOND / BigInt(PCM_SAMPLE_RATE);
const WINDOW_NS = BigInt(SileroVad.WINDOW) * SAMPLE_NS;
/** A chunk starting further than this from where the previous one ended breaks the stream (lost audio, clock jump). */
const CONTINUITY_NS = WINDOW_NS;
/** Once in speech, windows stay speech down to this much below the threshold (Silero's own hysteresis). */
const HYSTERESIS = 0.15;
/** Pieces shorter than this are not sent for transcription: speech recognisers invent words for fragments. */
const MIN_TRANSCRIBED_NS = 200_000_000n;
/** Audio kept for transcription when `take` is not called (no segmenter draining the track). */
const MAX_BUFFERED_NS = 120n * NANOS_PER_SECOND;

export interface VadSpeechTrackOptions {
  vad: SileroVad;
  /** Absent or null: speech spans only, no transcript. */
  transcriber?: Transcriber | null;
  /** Speech probability at or above which a 32 ms window is speech (audio.vad_threshold). */
  threshold: number;
  /** Spans shorter than this are dropped (audio.min_speech_s). */
  minSpeechS: number;
  /** Silence that must last this long before a span ends (audio.vad_hangover_s). */
  hangoverS: number;
  /** Audio added on each side of a span sent for transcription (audio.speech_padding_s). */
  paddingS: number;
  /** Receives failed transcriptions and dropped audio by cause (the first of each is logged). */
  counter: CauseCounter;
}

interface OpenSpan {
  start: RosNanos;
  /** Where the span first began, before any segment boundary cut it. */
  firstStart: RosNanos;
  /** End of the last window that was still speech. */
  end: RosNanos;
  sum: number;
  count: number;
  /** A part of this span was already given to an earlier segment. */
  continued: boolean;
}

/**
 * The SpeechTrack of taskmem: Silero VAD over 32 ms windows with hysteresis and a hangover marks speech spans;
 * when a transcriber is set, each span's audio (padded) is transcribed when its segment is taken. A span that
 * crosses a segment boundary is cut there: each segment gets its part, and each part is transcribed on its own.
 * Audio is kept only while a transcriber may need it and is released by `take` (and beyond two minutes).
 */
export class VadSpeechTrack implements SpeechTrack {
  readonly #vad: SileroVad;
  readonly #transcriber: Transcriber | null;
  readonly #threshold: number;
  readonly #minSpeech: RosNanos;
  readonly #hangover: RosNanos;
  readonly #padding: RosNanos;
  readonly #counter: CauseCounter;

  #audio: PcmChunk[] = [];
  #pending = new Float32Array(0);
  #pendingStamp: RosNanos = 0n;
  #expected: RosNanos | null = null;
  #open: OpenSpan | null = null;
  #closed: SpeechSpan[] = [];
  /** Aborted when the pipeline stops, so that no transcription holds it up. */
  readonly #stopping = new AbortController();

  constructor({ vad, transcriber = null, threshold, minSpeechS, hangoverS, paddingS, counter }: VadSpeechTrackOptions) {
    this.#vad = vad;
    this.#transcriber = transcriber;
    this.#threshold = threshold;
    this.#minSpeech = secondsToNanos(minSpeechS);
    this.#hangover = secondsToNanos(hangoverS);
    this.#padding = secondsToNanos(paddingS);
    this.#counter = counter;
  }

  /** The track the audio parameters describe: loads the VAD model and, when a URL is set, the transcriber. */
  static async fromConfig(
    config: Pick<Config, 'audio' | 'model_reply_max_mb'>,
    counter: CauseCounter,
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<VadSpeechTrack> {
    const { audio } = config;
    return new VadSpeechTrack({
      vad: await SileroVad.load(),
      transcriber: Transcriber.fromConfig(config, env),
      threshold: audio.vad_threshold,
      minSpeechS: audio.min_speech_s,
      hangoverS: audio.vad_hangover_s,
      paddingS: audio.speech_padding_s,
      counter,
    });
  }

  async push(chunk: PcmChunk): Promise<void> {
    if (chunk.samples.length === 0) return;
    if (this.#expected !== null && absolute(chunk.stamp - this.#expected) > CONTINUITY_NS) this.#break();
    if (this.#pending.length === 0) this.#pendingStamp = chunk.stamp;
    this.#expected = chunk.stamp + BigInt(chunk.samples.length) * SAMPLE_NS;
    if (this.#transcriber) this.#keepAudio(chunk);

    const samples = concat(this.#pending, chunk.samples);
    let offset = 0;
    for (; offset + SileroVad.WINDOW <= samples.length; offset += SileroVad.WINDOW) {
      const start = this.#pendingStamp + BigInt(offset) * SAMPLE_NS;
      const probability = await this.#vad.probability(samples.slice(offset, offset + SileroVad.WINDOW));
      this.#step(start, start + WINDOW_NS, probability);
    }
    this.#pendingStamp += BigInt(offset) * SAMPLE_NS;
    this.#pending = samples.slice(offset);
  }

  async take(start: RosNanos, end: RosNanos): Promise<{ speech: SpeechSpan[]; transcript: TranscriptLine[] }> {
    const speech: SpeechSpan[] = [];
    const remaining: SpeechSpan[] = [];
    for (const span of this.#closed) {
      if (span.start < end && span.end > start) speech.push({ ...span, start: max(span.start, start), end: min(span.end, end) });
      if (span.end > end) remaining.push({ ...span, start: max(span.start, end) });
    }
    this.#closed = remaining;

    const open = this.#open;
    if (open && open.start < end && (open.continued || open.end - open.firstStart >= this.#minSpeech)) {
      const partEnd = min(open.end, end);
      if (partEnd > max(open.start, start)) {
        speech.push({ start: max(open.start, start), end: partEnd, probability: open.sum / open.count });
      }
      Object.assign(open, { start: max(open.start, end), sum: 0, count: 0, continued: true });
    }

    const audio = speech.map((span) =>
      span.end - span.start >= MIN_TRANSCRIBED_NS ? this.#cut(span.start - this.#padding, span.end + this.#padding) : null,
    );
    this.#audio = this.#audio.filter((chunk) => chunkEnd(chunk) > end);
    const transcript = await this.#transcribe(speech, audio);
    return { speech, transcript };
  }

  abort(): void {
    this.#stopping.abort();
  }

  reset(): void {
    this.#audio = [];
    this.#pending = new Float32Array(0);
    this.#expected = null;
    this.#open = null;
    this.#closed = [];
    this.#vad.reset();
  }

  /** One VAD window: open a span on speech, extend it while speech lasts, close it after the hangover. */
  #step(start: RosNanos, end: RosNanos, probability: number): void {
    const open = this.#open;
    if (!open) {
      if (probability >= this.#threshold) this.#open = { start, firstStart: start, end, sum: probability, count: 1, continued: false };
      return;
    }
    if (probability >= this.#threshold - HYSTERESIS) {
      open.end = end;
      open.sum += probability;
      open.count += 1;
    } else if (end - open.end >= this.#hangover) {
      this.#close();
    }
  }

  #close(): void {
    const open = this.#open;
    this.#open = null;
    if (!open || open.count === 0) return;
    if (open.continued || open.end - open.firstStart >= this.#minSpeech) {
      this.#closed.push({ start: open.start, end: open.end, probability: open.sum / open.count });
    }
  }

  /** The stream broke (lost audio or a clock jump): end any speech where it was last heard and start afresh. */
  #break(): void {
    this.#close();
    this.#pending = new Float32Array(0);
    this.#vad.reset();
  }

  #keepAudio(chunk: PcmChunk): void {
    this.#audio.push(chunk);
    const horizon = chunkEnd(chunk) - MAX_BUFFERED_NS;
    const before = this.#audio.length;
    this.#audio = this.#audio.filter((c) => chunkEnd(c) > horizon);
    if (this.#audio.length < before) {
      this.#counter.count(
        'audio_unclaimed',
        `VadSpeechTrack: audio before ${formatStamp(horizon)} was never taken by a segment; released untranscribed`,
      );
    }
  }

  /** The buffered samples in [from, to), gaps left out. */
  #cut(from: RosNanos, to: RosNanos): Float32Array {
    const parts: Float32Array[] = [];
    for (const chunk of this.#audio) {
      const first = Math.max(0, Number(ceilDiv(from - chunk.stamp, SAMPLE_NS)));
      const last = Math.min(chunk.samples.length, Number(ceilDiv(to - chunk.stamp, SAMPLE_NS)));
      if (last > first) parts.push(chunk.samples.subarray(first, last));
    }
    return parts.reduce(concat, new Float32Array(0));
  }

  async #transcribe(speech: SpeechSpan[], audio: (Float32Array | null)[]): Promise<TranscriptLine[]> {
    const transcriber = this.#transcriber;
    if (!transcriber) return [];
    const texts = await Promise.all(
      speech.map(async (span, i) => {
        const samples = audio[i];
        if (!samples || samples.length === 0) return '';
        try {
          return await transcriber.transcribe(samples, this.#stopping.signal);
        } catch (error) {
          if (this.#stopping.signal.aborted) return '';
          this.#counter.count(
            'transcription_failed',
            `VadSpeechTrack: speech ${formatStamp(span.start)}–${formatStamp(span.end)} has no transcript: ${(error as Error).message}; the speech span is kept`,
          );
          return '';
        }
      }),
    );
    return speech.flatMap((span, i) => (texts[i] ? [{ start: span.start, end: span.end, speaker: 'unknown', text: texts[i] }] : []));
  }
}

function chunkEnd(chunk: PcmChunk): RosNanos {
  return chunk.stamp + BigInt(chunk.samples.length) * SAMPLE_NS;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length === 0) return b;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a <= 0n ? -(-a / b) : (a + b - 1n) / b;
}

const absolute = (x: bigint) => (x < 0n ? -x : x);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
