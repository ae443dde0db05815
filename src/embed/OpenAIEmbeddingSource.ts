import type OpenAI from 'openai';
import { normalize, type EmbeddingSource } from './EmbeddingSource.js';

export interface OpenAIEmbeddingSourceOptions {
  client: OpenAI;
  model: string;
}

/** Vectors from an OpenAI-compatible `/embeddings` endpoint (vLLM, llama.cpp, Ollama, OpenAI). */
export class OpenAIEmbeddingSource implements EmbeddingSource {
  readonly name: string;
  readonly #client: OpenAI;

  constructor({ client, model }: OpenAIEmbeddingSourceOptions) {
    if (!model) throw new Error('OpenAIEmbeddingSource: embedding.model is required with embedding.url');
    this.#client = client;
    this.name = model;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    // encoding_format 'float': servers other than OpenAI's often do not implement the base64 default.
    const reply = await this.#client.embeddings.create(
      { model: this.name, input: texts, encoding_format: 'float' },
      signal ? { signal } : {},
    );
    const where = `OpenAIEmbeddingSource(${this.name} at ${this.#client.baseURL})`;
    if (reply.data.length !== texts.length) throw new Error(`${where}: asked for ${texts.length} vectors, got ${reply.data.length}`);
    const vectors = [...reply.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    const length = vectors[0]!.length;
    return vectors.map((v, i) => {
      if (!Array.isArray(v) || v.length !== length || length === 0 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
        throw new Error(`${where}: vector ${i} is not ${length} finite numbers`);
      }
      return normalize(Float32Array.from(v));
    });
  }

  async close(): Promise<void> {}
}
