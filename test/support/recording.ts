import { execFileSync } from 'node:child_process';
import zstd from '@foxglove/wasm-zstd';
import { McapIndexedReader, McapWriter, type McapWriterOptions } from '@mcap/core';
import { FileReadable } from '../../src/bag/FileReadable.js';
import { FileWritable } from '../../src/bag/FileWritable.js';

export * from '../../src/demo/ScriptedRecording.js';

/**
 * Copies the uncompressed MCAP file `from` to `to` with its chunks compressed as rosbag2's storage presets write
 * them: same header, schemas, channels and messages (sequence, times, bytes), in log-time order. zstd goes through
 * the same WebAssembly build the reader uses; lz4 frames come from the lz4 CLI, since that build only decompresses.
 */
export async function writeCompressedCopy(from: string, to: string, compression: 'zstd' | 'lz4'): Promise<void> {
  const source = await FileReadable.open(from);
  try {
    await copyInto(source, to, compression);
  } finally {
    await source.close();
  }
}

async function copyInto(source: FileReadable, to: string, compression: 'zstd' | 'lz4'): Promise<void> {
  const file = await FileWritable.create(to);
  try {
    const reader = await McapIndexedReader.Initialize({ readable: source });
    const mcap = new McapWriter({ writable: file, chunkSize: 4 << 20, compressChunk: await chunkCompressor(compression) });
    await mcap.start(reader.header);
    const schemaIds = new Map<number, number>();
    for (const [id, { name, encoding, data }] of reader.schemasById) schemaIds.set(id, await mcap.registerSchema({ name, encoding, data }));
    const channelIds = new Map<number, number>();
    for (const [id, { topic, schemaId, messageEncoding, metadata }] of reader.channelsById) {
      channelIds.set(id, await mcap.registerChannel({ topic, schemaId: schemaIds.get(schemaId) ?? 0, messageEncoding, metadata }));
    }
    for await (const { channelId, sequence, logTime, publishTime, data } of reader.readMessages()) {
      await mcap.addMessage({ channelId: channelIds.get(channelId)!, sequence, logTime, publishTime, data });
    }
    await mcap.end();
  } finally {
    await file.close();
  }
}

async function chunkCompressor(compression: 'zstd' | 'lz4'): Promise<NonNullable<McapWriterOptions['compressChunk']>> {
  if (compression === 'zstd') {
    await zstd.isLoaded;
    return (data) => ({ compression, compressedData: zstd.compress(data) });
  }
  return (data) => {
    try {
      return { compression, compressedData: execFileSync('lz4', ['-q', '-c'], { input: data, maxBuffer: 2 * data.length + (1 << 16) }) };
    } catch (error) {
      throw new Error(`recording: lz4 failed (${String(error)}); install it with \`apt-get install -y lz4\``, { cause: error });
    }
  };
}
