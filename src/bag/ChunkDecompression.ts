import zstd from '@foxglove/wasm-zstd';
import lz4 from '@foxglove/wasm-lz4';
import type { DecompressHandlers } from '@mcap/core';

/**
 * Decompressors of MCAP chunk records, by the compression the chunk names: the two rosbag2's mcap storage plugin
 * writes (zstd with its compression presets, lz4 on request; MCAP stores lz4 as frames). Both are WebAssembly
 * builds whose modules compile asynchronously: await `chunkDecompressionReady` before the first call.
 */
const DECOMPRESSORS: Readonly<Record<string, (data: Uint8Array, size: number) => Uint8Array>> = {
  zstd: zstd.decompress,
  lz4,
};

/** Chunk compressions that can be read, besides uncompressed (`''`). */
export const CHUNK_COMPRESSIONS: readonly string[] = Object.keys(DECOMPRESSORS);

export const chunkDecompressionReady: Promise<unknown> = Promise.all([zstd.isLoaded, lz4.isLoaded]);

/**
 * The records of a chunk compressed with `compression`, `size` bytes as the chunk header says. Throws when the
 * compression is not one of `CHUNK_COMPRESSIONS` or the data do not decompress to exactly `size` bytes.
 */
export function decompressChunk(compression: string, data: Uint8Array, size: bigint): Uint8Array {
  const decompress = DECOMPRESSORS[compression];
  if (!decompress) throw new Error(`chunk compression ${compression} is not supported (only ${CHUNK_COMPRESSIONS.join(', ')})`);
  let records: Uint8Array;
  try {
    records = decompress(data, Number(size));
  } catch (error) {
    throw new Error(`${compression} data do not decompress (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (BigInt(records.byteLength) !== size) {
    throw new Error(`${compression} data decompress to ${records.byteLength} bytes, the chunk header says ${size}`);
  }
  return records;
}

/** `decompressChunk` in the form @mcap/core's `McapIndexedReader` takes. */
export const chunkDecompressHandlers: DecompressHandlers = Object.fromEntries(
  CHUNK_COMPRESSIONS.map((compression) => [compression, (data: Uint8Array, size: bigint) => decompressChunk(compression, data, size)]),
);
