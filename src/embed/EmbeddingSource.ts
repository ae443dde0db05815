/**
 * Turns text into vectors for similarity search. Implementations return one L2-normalised vector per input, in
 * input order, all of one length; the same source must embed the stored memories and the questions, since
 * vectors of different models are not comparable.
 */
export interface EmbeddingSource {
  /** Model identity, e.g. "text-embedding-3-small" or "onnx:/models/minilm/model.onnx". */
  readonly name: string;
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Scales `v` in place to unit length (a zero vector stays zero) and returns it. */
export function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  if (sum > 0) {
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < v.length; i++) v[i]! *= scale;
  }
  return v;
}
