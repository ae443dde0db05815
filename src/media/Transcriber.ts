import { toFile } from 'openai';
import type { Config } from '../config/schema.js';
import { ModelClient } from '../endpoint/ModelClient.js';
import { PCM_SAMPLE_RATE } from './PcmChunk.js';
import { encodeWav } from './wav.js';

export interface TranscriberOptions {
  /** OpenAI-compatible base URL, e.g. http://gpu-box:8000/v1 (vLLM serving Whisper). */
  url: string;
  model: string;
  /** ISO-639-1 hint; empty or absent: the server detects the language. */
  language?: string;
  timeoutS: number;
  /** Absent: requests carry no key (vLLM without --api-key). */
  apiKey?: string;
  /** model_reply_max_mb: a larger reply is abandoned unread. */
  maxReplyMb: number;
}

/**
 * Speech to text through an OpenAI-compatible `/audio/transcriptions` endpoint. The speech goes as a 16 kHz
 * 16-bit mono WAV file. A failed request is retried once, then the error is thrown to the caller.
 */
export class Transcriber {
  readonly #client: ModelClient;
  readonly #model: string;
  readonly #language: string | undefined;

  constructor({ url, model, language, timeoutS, apiKey, maxReplyMb }: TranscriberOptions) {
    this.#client = new ModelClient({ url, apiKey: apiKey ?? null, timeoutMs: timeoutS * 1000, maxRetries: 1, maxReplyMb });
    this.#model = model;
    this.#language = language || undefined;
  }

  /** The transcriber the audio parameters describe, or null when no transcription URL is set. */
  static fromConfig(
    { audio, model_reply_max_mb }: Pick<Config, 'audio' | 'model_reply_max_mb'>,
    env: NodeJS.ProcessEnv = process.env,
  ): Transcriber | null {
    if (!audio.transcriber_url) return null;
    const apiKey = env[audio.transcriber_api_key_env];
    return new Transcriber({
      url: audio.transcriber_url,
      model: audio.transcriber_model,
      language: audio.transcriber_language,
      timeoutS: audio.transcriber_timeout_s,
      maxReplyMb: model_reply_max_mb,
      ...(apiKey ? { apiKey } : {}),
    });
  }

  /** What was said in `samples` (16 kHz mono), trimmed; an empty string when the server heard nothing. */
  async transcribe(samples: Float32Array, signal?: AbortSignal): Promise<string> {
    const file = await toFile(encodeWav(samples, PCM_SAMPLE_RATE), 'speech.wav', { type: 'audio/wav' });
    try {
      const result = await this.#client.audio.transcriptions.create(
        { file, model: this.#model, response_format: 'json', ...(this.#language ? { language: this.#language } : {}) },
        signal ? { signal } : {},
      );
      return result.text.trim();
    } catch (error) {
      throw new Error(
        `Transcriber: ${this.#client.endpoint}/audio/transcriptions (model ${this.#model}) failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}
