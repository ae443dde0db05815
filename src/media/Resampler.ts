import { PCM_SAMPLE_RATE } from './PcmChunk.js';

/** Zero crossings of the sinc on each side of the kernel centre, at the cutoff frequency. */
const ZERO_CROSSINGS = 16;
/** Passband edge as a share of the lower Nyquist frequency; the transition band lies above it. */
const ROLLOFF = 0.9;
const KAISER_BETA = 8;

/**
 * Streaming band-limited resampler (polyphase windowed sinc) from any integer rate to 16 kHz (or another rate).
 * The rate ratio is reduced to L/M exactly, so output sample k sits at input position k·M/L with no drift however
 * long the stream; the last input samples are kept between calls, so cutting the input into chunks of any size
 * gives exactly the output of one call over the whole input (no clicks at chunk boundaries). Input before the first
 * sample counts as silence. One instance per stream.
 */
export class Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly #up: number;
  readonly #down: number;
  readonly #half: number;
  /** `#phases[p]` holds the 2·half taps for output positions whose fraction is p/L. */
  readonly #phases: Float32Array[];
  #history: Float32Array;
  /** Input index of `#history[0]`. */
  #base: number;
  /** Integer part and phase (fraction × L) of the next output sample's input position. */
  #n = 0;
  #phase = 0;

  constructor(inputRate: number, outputRate = PCM_SAMPLE_RATE) {
    if (!Number.isInteger(inputRate) || inputRate < 1 || !Number.isInteger(outputRate) || outputRate < 1) {
      throw new Error(`Resampler: rates must be positive integers (got ${inputRate} Hz → ${outputRate} Hz)`);
    }
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.#up = Resampler.phases(inputRate, outputRate);
    this.#down = (inputRate * this.#up) / outputRate;
    // Cutoff in cycles per input sample: below the lower of the two Nyquist frequencies.
    const cutoff = 0.5 * Math.min(1, outputRate / inputRate) * ROLLOFF;
    this.#half = Math.ceil(ZERO_CROSSINGS / (2 * cutoff));
    this.#phases = [];
    for (let p = 0; p < this.#up; p++) {
      const taps = new Float32Array(2 * this.#half);
      let sum = 0;
      for (let i = 0; i < taps.length; i++) {
        const x = p / this.#up + this.#half - 1 - i;
        taps[i] = kernel(x, cutoff, this.#half);
        sum += taps[i]!;
      }
      // Unit gain at DC for every phase, so a constant input stays constant.
      for (let i = 0; i < taps.length; i++) taps[i]! /= sum;
      this.#phases.push(taps);
    }
    this.#history = new Float32Array(this.#half - 1);
    this.#base = -(this.#half - 1);
  }

  /**
   * Filter phases (the reduced numerator L of the rate ratio L/M) a resampler from `inputRate` holds, each with its
   * own taps: 160 for 44.1 kHz → 16 kHz, 1 for 48 kHz, 16,000 for a rate like 44,101 Hz that shares no factor with 16 kHz.
   */
  static phases(inputRate: number, outputRate = PCM_SAMPLE_RATE): number {
    return outputRate / gcd(inputRate, outputRate);
  }

  /** Input position (in input samples from the stream's first, possibly fractional) of the next output sample. */
  get nextOutputPosition(): number {
    return this.#n + this.#phase / this.#up;
  }

  /** Takes the next input samples; returns every output sample they complete (possibly none). */
  process(input: Float32Array): Float32Array {
    if (this.#up === this.#down) {
      // Same rate (a 16 kHz microphone): the signal is already band-limited, so it passes unchanged and at once.
      this.#n += input.length;
      return input.slice();
    }
    const history = new Float32Array(this.#history.length + input.length);
    history.set(this.#history);
    history.set(input, this.#history.length);
    const last = this.#base + history.length - 1;
    const maxOut = Math.max(0, Math.floor(((last - this.#half - this.#n + 1) * this.#up) / this.#down) + 1);
    const out = new Float32Array(maxOut);
    let count = 0;
    while (this.#n + this.#half <= last && count < maxOut) {
      const taps = this.#phases[this.#phase]!;
      const start = this.#n - this.#half + 1 - this.#base;
      let acc = 0;
      for (let i = 0; i < taps.length; i++) acc += taps[i]! * history[start + i]!;
      out[count++] = acc;
      this.#phase += this.#down;
      this.#n += Math.floor(this.#phase / this.#up);
      this.#phase %= this.#up;
    }
    const keepFrom = this.#n - this.#half + 1 - this.#base;
    this.#history = history.slice(Math.min(keepFrom, history.length));
    this.#base += Math.min(keepFrom, history.length);
    return out.subarray(0, count);
  }
}

function kernel(x: number, cutoff: number, half: number): number {
  if (Math.abs(x) >= half) return 0;
  const t = 2 * cutoff * x;
  const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
  const r = x / half;
  return 2 * cutoff * sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / besselI0(KAISER_BETA));
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
