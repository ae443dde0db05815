import { MPEGDecoder } from 'mpg123-decoder';
import type { AudioDataStampedMsg, AudioInfoMsg, AudioStampedMsg, Bytes, NumberArray } from '../messages.js';
import { formatStamp, fromRosTime, NANOS_PER_SECOND, type RosNanos } from '../time.js';
import type { CauseCounter } from '../log.js';
import type { PcmChunk } from './PcmChunk.js';
import { Resampler } from './Resampler.js';
import { BYTES_PER_SAMPLE, isWav, parseWav, type SampleFormat } from './wav.js';

/**
 * How far a chunk's header stamp may stray from where the samples before it say it starts (capture jitter, MP3
 * frame buffering) before the stream is taken as broken (dropped messages, a clock jump) and restarted there.
 */
const STAMP_TOLERANCE_NS = 250_000_000n;

/**
 * Sample rates accepted, Hz: from telephone audio to the highest rate audio interfaces offer. A rate is work per
 * second of audio: 1 Hz declared for 16 kHz data would make every sample 16,000 output samples (10 s of audio into
 * minutes of CPU and gigabytes), so a rate outside the range is a broken AudioInfo, not a slow microphone.
 */
const MIN_RATE = 8_000;
const MAX_RATE = 384_000;
/**
 * Most filter phases of the resampler a rate may need. Every standard rate needs at most 640 (11.025 kHz); a rate
 * that shares almost no factor with 16 kHz (44,101 Hz) would need 16,000, megabytes of taps built per stream.
 */
const MAX_PHASES = 1_000;
/** Most channels: large microphone arrays have 16 to 64. */
const MAX_CHANNELS = 64;

/** PortAudio sample-format codes carried in mgonzs13 AudioInfo.format. */
const PA_FLOAT32 = 1;
const PA_INT32 = 2;
const PA_INT16 = 8;
const PA_INT8 = 16;
const PA_UINT8 = 32;

export interface AudioDecoderOptions {
  /** Receives every rejected chunk by cause (the first of each cause is logged). */
  counter: CauseCounter;
}

interface Stream {
  /** Format, rate and channel count; a change starts a new stream. */
  key: string;
  rate: number;
  resampler: Resampler;
  /** Header stamp of the stream's first input sample. */
  origin: RosNanos;
  inputSamples: number;
}

/**
 * Turns one audio topic's messages into 16 kHz mono PCM chunks stamped with their first sample's ROS time.
 * Keeps per-stream state (resampler history, MP3 decoder): use one instance per topic, and await each call before
 * making the next. Malformed or unsupported chunks are counted by cause and skipped; the stream goes on.
 */
export class AudioDecoder {
  readonly #counter: CauseCounter;
  #info: AudioInfoMsg | null = null;
  #stream: Stream | null = null;
  #mp3: MPEGDecoder | null = null;

  constructor({ counter }: AudioDecoderOptions) {
    this.#counter = counter;
  }

  /** The latest audio_common_msgs/AudioInfo of the stream; chunks are read with the latest one received. */
  setInfo(info: AudioInfoMsg): void {
    this.#info = info;
  }

  /** ros-drivers audio_common_msgs/AudioDataStamped, read with the latest AudioInfo. */
  async decodeAudioData(msg: AudioDataStampedMsg): Promise<PcmChunk | null> {
    const stamp = fromRosTime(msg.header.stamp);
    const where = `AudioDecoder: chunk at ${formatStamp(stamp)}`;
    const info = this.#info;
    if (!info) {
      this.#counter.count(
        'audio_no_info',
        `${where} arrived before any AudioInfo, so its format is unknown; skipped (is the AudioInfo topic remapped?)`,
      );
      return null;
    }
    const bytes = toBytes(msg.audio.data);
    if (bytes.length === 0) {
      this.#counter.count('audio_empty', `${where} has no data; skipped`);
      return null;
    }
    const coding = info.coding_format.trim().toLowerCase();
    if (coding === 'mp3') return this.#decodeMp3(bytes, stamp, where);
    if (!['wave', 'wav', 'raw', 'pcm', ''].includes(coding)) {
      this.#counter.count(
        'audio_unsupported_coding',
        `${where}: coding_format "${info.coding_format}" is not supported (supported: wave, raw, pcm, mp3); skipped`,
      );
      return null;
    }
    let pcm = { data: bytes, format: info.sample_format.trim().toUpperCase(), channels: info.channels, rate: info.sample_rate };
    if (isWav(bytes)) {
      try {
        const wav = parseWav(bytes);
        pcm = { data: wav.data, format: wav.format, channels: wav.channels, rate: wav.sampleRate };
      } catch (error) {
        this.#counter.count('audio_bad_wav', `${where}: ${(error as Error).message}; skipped`);
        return null;
      }
    }
    if (!(pcm.format in BYTES_PER_SAMPLE)) {
      this.#counter.count(
        'audio_unsupported_format',
        `${where}: sample_format "${pcm.format}" is not supported (supported: ${Object.keys(BYTES_PER_SAMPLE).join(', ')}); skipped`,
      );
      return null;
    }
    if (!this.#validShape(pcm.channels, pcm.rate, where)) return null;
    const format = pcm.format as SampleFormat;
    const frame = BYTES_PER_SAMPLE[format] * pcm.channels;
    if (pcm.data.length % frame !== 0) {
      this.#counter.count(
        'audio_bad_length',
        `${where}: ${pcm.data.length} bytes is not a whole number of ${format} frames of ${pcm.channels} channel(s); skipped`,
      );
      return null;
    }
    const samples = readPcm(pcm.data, format);
    if (!this.#finite(samples, where)) return null;
    return this.#resample(mixDown(samples, pcm.channels), `${format}/${pcm.channels}/${pcm.rate}`, pcm.rate, stamp);
  }

  /** mgonzs13 audio_common_msgs/AudioStamped, which carries its own format (a PortAudio code), rate and channels. */
  decodeAudioStamped(msg: AudioStampedMsg): PcmChunk | null {
    const stamp = fromRosTime(msg.header.stamp);
    const where = `AudioDecoder: chunk at ${formatStamp(stamp)}`;
    const { info, audio_data: data } = msg.audio;
    let samples: Float32Array;
    switch (info.format) {
      case PA_FLOAT32:
        samples = Float32Array.from(data.float32_data);
        break;
      case PA_INT32:
        samples = scaled(data.int32_data, 1 / 2 ** 31, 0);
        break;
      case PA_INT16:
        samples = scaled(data.int16_data, 1 / 32768, 0);
        break;
      case PA_INT8:
        samples = scaled(data.int8_data, 1 / 128, 0);
        break;
      case PA_UINT8:
        samples = scaled(data.uint8_data, 1 / 128, -128);
        break;
      default:
        this.#counter.count(
          'audio_unsupported_format',
          `${where}: PortAudio format code ${info.format} is not supported (supported: 1 float32, 2 int32, 8 int16, 16 int8, 32 uint8); skipped`,
        );
        return null;
    }
    if (samples.length === 0) {
      this.#counter.count('audio_empty', `${where} has no samples in the array its format ${info.format} names; skipped`);
      return null;
    }
    if (!this.#validShape(info.channels, info.rate, where)) return null;
    if (samples.length % info.channels !== 0) {
      this.#counter.count(
        'audio_bad_length',
        `${where}: ${samples.length} samples is not a whole number of frames of ${info.channels} channels; skipped`,
      );
      return null;
    }
    if (!this.#finite(samples, where)) return null;
    return this.#resample(mixDown(samples, info.channels), `pa${info.format}/${info.channels}/${info.rate}`, info.rate, stamp);
  }

  /** Forgets the stream (a new episode): the next chunk starts afresh. The latest AudioInfo is kept. */
  reset(): void {
    this.#stream = null;
    this.#mp3?.free();
    this.#mp3 = null;
  }

  async #decodeMp3(bytes: Uint8Array, stamp: RosNanos, where: string): Promise<PcmChunk | null> {
    if (!this.#mp3) {
      try {
        const decoder = new MPEGDecoder();
        await decoder.ready;
        this.#mp3 = decoder;
      } catch (error) {
        this.#counter.count(
          'audio_mp3_unavailable',
          `${where} is MP3 and the MP3 decoder could not start (${(error as Error).message}); publish PCM instead: run the capture node with format:=wave`,
        );
        return null;
      }
    }
    const decoded = this.#mp3.decode(bytes);
    if (decoded.errors.length > 0) {
      this.#counter.count(
        'audio_mp3_error',
        `${where}: MP3 decoding failed (${decoded.errors[0]!.message}); the capture node's format:=wave avoids MP3 altogether`,
      );
    }
    if (decoded.samplesDecoded === 0) return null;
    const channels = decoded.channelData.length;
    if (!this.#validShape(channels, decoded.sampleRate, where)) return null;
    const mono = new Float32Array(decoded.samplesDecoded);
    for (const channel of decoded.channelData) {
      for (let i = 0; i < mono.length; i++) mono[i]! += channel[i]! / channels;
    }
    return this.#resample(mono, `mp3/${channels}/${decoded.sampleRate}`, decoded.sampleRate, stamp);
  }

  /** Whether the declared channel count and rate are ones a real audio device uses (see MIN_RATE, MAX_PHASES). */
  #validShape(channels: number, rate: number, where: string): boolean {
    if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
      this.#counter.count(
        'audio_bad_channels',
        `${where}: ${channels} channel(s) is not a usable channel count (1 to ${MAX_CHANNELS}); skipped (check the AudioInfo)`,
      );
      return false;
    }
    if (!Number.isInteger(rate) || rate < MIN_RATE || rate > MAX_RATE) {
      this.#counter.count(
        'audio_bad_rate',
        `${where}: sample rate ${rate} Hz is outside ${MIN_RATE}–${MAX_RATE} Hz; skipped (check the AudioInfo or the capture node's rate)`,
      );
      return false;
    }
    const phases = Resampler.phases(rate);
    if (phases > MAX_PHASES) {
      this.#counter.count(
        'audio_bad_rate',
        `${where}: sample rate ${rate} Hz is not a standard rate (resampling it to 16 kHz needs ${phases} filter phases, at most ${MAX_PHASES}); skipped`,
      );
      return false;
    }
    return true;
  }

  #finite(samples: Float32Array, where: string): boolean {
    for (let i = 0; i < samples.length; i++) {
      if (!Number.isFinite(samples[i]!)) {
        this.#counter.count('audio_bad_sample', `${where} contains a non-finite sample (NaN or infinity) at index ${i}; skipped`);
        return false;
      }
    }
    return true;
  }

  #resample(mono: Float32Array, key: string, rate: number, stamp: RosNanos): PcmChunk | null {
    let stream = this.#stream;
    if (stream && stream.key === key) {
      const expected = stream.origin + (BigInt(stream.inputSamples) * NANOS_PER_SECOND) / BigInt(rate);
      const deviation = stamp - expected;
      if (deviation > STAMP_TOLERANCE_NS || deviation < -STAMP_TOLERANCE_NS) stream = null;
    } else {
      stream = null;
    }
    if (!stream) {
      stream = { key, rate, resampler: new Resampler(rate), origin: stamp, inputSamples: 0 };
      this.#stream = stream;
    }
    const position = stream.resampler.nextOutputPosition;
    const samples = stream.resampler.process(mono);
    stream.inputSamples += mono.length;
    if (samples.length === 0) return null;
    const whole = Math.floor(position);
    const offset = (BigInt(whole) * NANOS_PER_SECOND) / BigInt(rate) + BigInt(Math.round(((position - whole) * 1e9) / rate));
    return { stamp: stream.origin + offset, samples };
  }
}

function toBytes(data: Bytes): Uint8Array {
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}

/** Interleaved little-endian samples as floats in [-1, 1]. */
function readPcm(data: Uint8Array, format: SampleFormat): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(data.length / BYTES_PER_SAMPLE[format]);
  switch (format) {
    case 'S16LE':
      for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true) / 32768;
      break;
    case 'S32LE':
      for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true) / 2 ** 31;
      break;
    case 'F32LE':
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'U8':
      for (let i = 0; i < out.length; i++) out[i] = (data[i]! - 128) / 128;
      break;
  }
  return out;
}

function scaled(values: NumberArray, scale: number, bias: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = (values[i]! + bias) * scale;
  return out;
}

function mixDown(interleaved: Float32Array, channels: number): Float32Array {
  if (channels === 1) return interleaved;
  const out = new Float32Array(interleaved.length / channels);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c]!;
    out[i] = sum / channels;
  }
  return out;
}
