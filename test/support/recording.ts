import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import zstd from '@foxglove/wasm-zstd';
import { McapIndexedReader, McapWriter, type McapWriterOptions } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { FileReadable } from '../../src/bag/FileReadable.js';
import { FileWritable } from '../../src/bag/FileWritable.js';

import type { RecordingScript } from '../../src/demo/ScriptedRecording.js';

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

/**
 * Copies the MCAP file `from` to `to` with 16 bytes in the middle of chunk `chunk` (0-based, file order) inverted,
 * as damage on a disk or in a copy leaves them; with `dataSectionCrc: false` the copy also says it has no CRC of
 * its data section (as rosbag2 writes by default), so that only the chunk's own CRC can tell. `between: true`
 * damages the bytes just after the chunk instead (its message index records), outside every chunk.
 */
export async function damagedCopy(
  from: string,
  to: string,
  { chunk = 0, dataSectionCrc = true, between = false }: { chunk?: number; dataSectionCrc?: boolean; between?: boolean } = {},
): Promise<{ chunkOffset: bigint }> {
  const source = await FileReadable.open(from);
  let reader: McapIndexedReader;
  try {
    reader = await McapIndexedReader.Initialize({ readable: source });
  } finally {
    await source.close();
  }
  const index = reader.chunkIndexes[chunk];
  if (!index) throw new Error(`damagedCopy: ${from} has ${reader.chunkIndexes.length} chunks, no chunk ${chunk}`);
  const bytes = readFileSync(from);
  const at = Number(between ? index.chunkStartOffset + index.chunkLength + 20n : index.chunkStartOffset + index.chunkLength / 2n);
  for (let i = at; i < at + 16; i++) bytes[i] = bytes[i]! ^ 0xff;
  // DataEnd: opcode (1), record length (8), data_section_crc (4); 0 means "not recorded".
  if (!dataSectionCrc) bytes.writeUInt32LE(0, Number(reader.dataEndOffset) + 9);
  writeFileSync(to, bytes);
  return { chunkOffset: index.chunkStartOffset };
}

/**
 * Writes an MCAP file whose camera topic is recorded as sensor_msgs/msg/Image, but whose message definition is a
 * look-alike without a header, with `frames` messages encoded by it: what a custom message published under a
 * standard name leaves in a bag.
 */
export async function writeLookalikeImageRecording(path: string, { topic = '/camera/image_raw', frames = 4 } = {}): Promise<void> {
  const definition = 'uint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data';
  const writer = new MessageWriter(parse(definition, { ros2: true }));
  const file = await FileWritable.create(path);
  try {
    const mcap = new McapWriter({ writable: file });
    await mcap.start({ profile: 'ros2', library: 'taskmem tests' });
    const schemaId = await mcap.registerSchema({
      name: 'sensor_msgs/msg/Image',
      encoding: 'ros2msg',
      data: new TextEncoder().encode(definition),
    });
    const channelId = await mcap.registerChannel({ topic, schemaId, messageEncoding: 'cdr', metadata: new Map() });
    for (let i = 0; i < frames; i++) {
      const time = 1_750_000_000_000_000_000n + BigInt(i) * 500_000_000n;
      const data = writer.writeMessage({ height: 2, width: 2, encoding: 'rgb8', is_bigendian: 0, step: 6, data: new Uint8Array(12) });
      await mcap.addMessage({ channelId, sequence: i, logTime: time, publishTime: time, data });
    }
    await mcap.end();
  } finally {
    await file.close();
  }
}

/** The parameters that point taskmem at a scripted recording's camera, audio and pose topics, as command flags. */
export function topicFlags(script: Pick<RecordingScript, 'config'>): string[] {
  const { camera, audio, pose } = script.config;
  return ['--camera.topic', camera.topic, '--audio.topic', audio.topic, '--audio.info_topic', audio.info_topic, '--pose.topic', pose.topic];
}

/** The parameters for a scripted recording made without audio: its camera (topic and type) and pose topics, audio off. */
export function silentRecordingFlags(script: Pick<RecordingScript, 'config'>): string[] {
  const { camera, pose } = script.config;
  return ['--camera.topic', camera.topic, '--camera.type', camera.type, '--audio.type', 'none', '--pose.topic', pose.topic];
}
