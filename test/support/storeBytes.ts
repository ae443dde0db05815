/** Looking for vectors in the bytes of a SQLite store file, to check that forgetting erases them. */
import { existsSync, readFileSync } from 'node:fs';
import { embeddingToBytes } from '../../src/memory/embedding.js';
import { centroidOf } from '../../src/memory/IdentityStore.js';

/** A unit vector of random components: its bytes occur nowhere else in a store file. */
export function randomFace(): Float32Array {
  return centroidOf([Float32Array.from({ length: 1024 }, () => Math.random() - 0.5)]);
}

/** Whether the store file or its write-ahead log contains the first 64 bytes of each vector. */
export function inFile(path: string, vectors: Float32Array[]): boolean[] {
  const bytes = Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));
  return vectors.map((v) => bytes.includes(embeddingToBytes(v).subarray(0, 64)));
}
