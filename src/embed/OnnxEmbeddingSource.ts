import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { normalize, type EmbeddingSource } from './EmbeddingSource.js';
import { WordPieceTokenizer } from './WordPieceTokenizer.js';

export interface OnnxEmbeddingSourceOptions {
  /** The .onnx file. Its `vocab.txt` (and optional `tokenizer_config.json`) sit beside it or one folder up. */
  path: string;
  /** Longest input in tokens, [CLS] and [SEP] included; longer text is cut. */
  maxTokens: number;
}

/**
 * A local BERT-style text-embedding model (e.g. all-MiniLM-L6-v2, bge-small exported to ONNX) run with
 * onnxruntime-node. Feeds `input_ids` and `attention_mask` (and zero `token_type_ids` when the model takes
 * them) as int64; a 3-d output [batch, tokens, dim] is mean-pooled over the unmasked tokens, a 2-d output is
 * taken as already pooled; vectors are L2-normalised.
 */
export class OnnxEmbeddingSource implements EmbeddingSource {
  readonly name: string;
  readonly #session: ort.InferenceSession;
  readonly #tokenizer: WordPieceTokenizer;
  readonly #maxTokens: number;

  private constructor(name: string, session: ort.InferenceSession, tokenizer: WordPieceTokenizer, maxTokens: number) {
    this.name = name;
    this.#session = session;
    this.#tokenizer = tokenizer;
    this.#maxTokens = maxTokens;
  }

  static async load({ path, maxTokens }: OnnxEmbeddingSourceOptions): Promise<OnnxEmbeddingSource> {
    const where = `OnnxEmbeddingSource(${path})`;
    const folders = [dirname(path), dirname(dirname(path))];
    const vocab = await firstExisting(folders.map((f) => join(f, 'vocab.txt')));
    if (!vocab) throw new Error(`${where}: no vocab.txt beside the model or one folder up (the WordPiece vocabulary is required)`);
    const tokenizer = await WordPieceTokenizer.fromFiles(vocab, await firstExisting([join(dirname(vocab), 'tokenizer_config.json')]));
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path);
    } catch (error) {
      throw new Error(`${where}: cannot load the model: ${(error as Error).message}`, { cause: error });
    }
    for (const input of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(input))
        throw new Error(`${where}: the model has no ${input} input (inputs: ${session.inputNames.join(', ')})`);
    }
    return new OnnxEmbeddingSource(`onnx:${path}`, session, tokenizer, maxTokens);
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    signal?.throwIfAborted();
    if (texts.length === 0) return [];
    const encoded = texts.map((t) => this.#tokenizer.encode(t, this.#maxTokens).ids);
    const width = Math.max(...encoded.map((ids) => ids.length));
    const ids = new BigInt64Array(texts.length * width);
    const mask = new BigInt64Array(texts.length * width);
    encoded.forEach((row, b) =>
      row.forEach((id, i) => {
        ids[b * width + i] = BigInt(id);
        mask[b * width + i] = 1n;
      }),
    );
    const dims = [texts.length, width];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
    };
    if (this.#session.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(ids.length), dims);
    const outputs = await this.#session.run(feeds);
    const name = ['sentence_embedding', 'last_hidden_state'].find((n) => n in outputs) ?? this.#session.outputNames[0]!;
    const out = outputs[name]!;
    const data = out.data as Float32Array;
    if (out.type !== 'float32') throw new Error(`OnnxEmbeddingSource(${this.name}): output ${name} is ${out.type}, expected float32`);
    if (out.dims.length === 2) {
      const dim = out.dims[1]!;
      return texts.map((_, b) => normalize(data.slice(b * dim, (b + 1) * dim)));
    }
    if (out.dims.length !== 3)
      throw new Error(`OnnxEmbeddingSource(${this.name}): output ${name} has shape [${out.dims.join(', ')}], expected 2 or 3 dimensions`);
    const dim = out.dims[2]!;
    return encoded.map((row, b) => {
      const pooled = new Float32Array(dim);
      for (let i = 0; i < row.length; i++) {
        const offset = (b * width + i) * dim;
        for (let k = 0; k < dim; k++) pooled[k]! += data[offset + k]!;
      }
      for (let k = 0; k < dim; k++) pooled[k]! /= row.length;
      return normalize(pooled);
    });
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

async function firstExisting(paths: string[]): Promise<string | null> {
  for (const p of paths) {
    try {
      await access(p);
      return p;
    } catch {
      // try the next place
    }
  }
  return null;
}
