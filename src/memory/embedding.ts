/** Float32 embeddings as stored bytes (little-endian IEEE 754, the platform order of every supported target). */
export function embeddingToBytes(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

export function embeddingFromBytes(bytes: Uint8Array): Float32Array {
  // Copied: a driver's buffer may be unaligned or reused.
  return new Float32Array(new Uint8Array(bytes).buffer);
}

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** How many candidates the approximate pass hands to exact re-ranking, for a wanted result count. */
export function rerankPool(wanted: number): number {
  return Math.max(200, wanted * 4);
}
