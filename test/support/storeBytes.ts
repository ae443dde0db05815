/** Looking for vectors in the bytes of a store's files, to check that forgetting erases them. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddingToBytes } from '../../src/memory/embedding.js';
import { centroidOf } from '../../src/memory/IdentityRecords.js';

/** A unit vector of random components: its bytes occur nowhere else in a store file. */
export function randomFace(): Float32Array {
  return centroidOf([Float32Array.from({ length: 1024 }, () => Math.random() - 0.5)]);
}

/** Whether the SQLite store file or its write-ahead log contains the first 64 bytes of each vector. */
export function inFile(path: string, vectors: Float32Array[]): boolean[] {
  return inBytes(
    [path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)),
    vectors,
  );
}

/** Whether any file in `folder` (a PostgreSQL database's folder of table files) contains each vector's first 64 bytes. */
export function inFolder(folder: string, vectors: Float32Array[]): boolean[] {
  const files = readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isFile());
  return inBytes(
    files.map((file) => readFileSync(join(folder, file.name))),
    vectors,
  );
}

function inBytes(contents: Buffer[], vectors: Float32Array[]): boolean[] {
  return vectors.map((v) => {
    const needle = embeddingToBytes(v).subarray(0, 64);
    return contents.some((bytes) => bytes.includes(needle));
  });
}
