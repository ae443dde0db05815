import { basename, resolve } from 'node:path';
import { McapIndexedReader, hasMcapPrefix, MCAP_MAGIC } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { FileReadable } from './FileReadable.js';
import { CHUNK_COMPRESSIONS, chunkDecompressHandlers, chunkDecompressionReady, decompressChunk } from './ChunkDecompression.js';
import type { RosNanos } from '../time.js';

/** A topic of a recording and the ROS type of its messages, e.g. `sensor_msgs/msg/Image`. */
export interface RecordingChannel {
  topic: string;
  type: string;
  messageCount: number | null;
}

/** A decoded message of a recording. */
export interface RecordedMessage {
  topic: string;
  type: string;
  /** When the recorder received it (MCAP log time); segmentation uses the header stamp instead. */
  logTime: RosNanos;
  message: unknown;
}

/** What makes a recording the same recording across runs, for resuming an ingest. */
export interface RecordingIdentity {
  path: string;
  size: bigint;
  /** First and last log times of its messages; 0 for an empty recording. */
  start: RosNanos;
  end: RosNanos;
}

/** Thrown when a file cannot be read as a rosbag2 MCAP recording; the message says which file and why. */
export class RecordingError extends Error {
  override name = 'RecordingError';
}

/**
 * A rosbag2 MCAP recording (profile ros2, schema encoding ros2msg, message encoding cdr), read through its index:
 * messages stream in log-time order chunk by chunk, so memory stays bounded whatever the file size. Chunks may be
 * uncompressed or compressed with zstd or lz4; each is decompressed when it is read. Callers must `close()` it.
 */
export class McapRecording {
  readonly identity: RecordingIdentity;
  readonly channels: readonly RecordingChannel[];
  readonly #readable: FileReadable;
  readonly #reader: McapIndexedReader;
  readonly #decoders = new Map<number, MessageReader>();
  /** Chunks sorted by start time do not overlap in time: messages can be read chunk by chunk. */
  readonly #chunksInOrder: boolean;

  private constructor(identity: RecordingIdentity, readable: FileReadable, reader: McapIndexedReader) {
    this.identity = identity;
    this.#readable = readable;
    this.#reader = reader;
    this.#chunksInOrder = reader.chunkIndexes.every((c, i, all) => i === 0 || c.messageStartTime >= all[i - 1]!.messageEndTime);
    const counts = reader.statistics?.channelMessageCounts;
    this.channels = [...reader.channelsById.values()].map((channel) => ({
      topic: channel.topic,
      type: reader.schemasById.get(channel.schemaId)?.name ?? '(no schema)',
      messageCount: counts?.has(channel.id) ? Number(counts.get(channel.id)) : null,
    }));
  }

  static async open(path: string): Promise<McapRecording> {
    const absolute = resolve(path);
    let readable: FileReadable;
    try {
      readable = await FileReadable.open(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new RecordingError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot open (${String(error)})`);
    }
    try {
      const size = await readable.size();
      const magic = size >= BigInt(MCAP_MAGIC.length) ? await readable.read(0n, BigInt(MCAP_MAGIC.length)) : new Uint8Array();
      if (!hasMcapPrefix(new DataView(magic.buffer, magic.byteOffset, magic.byteLength))) {
        throw new RecordingError(`${path}: not an MCAP file (a rosbag2 recording made with \`ros2 bag record -s mcap\` is expected)`);
      }
      let reader: McapIndexedReader;
      try {
        reader = await McapIndexedReader.Initialize({ readable, decompressHandlers: chunkDecompressHandlers });
      } catch (error) {
        throw new RecordingError(
          `${path}: the MCAP file has no readable index (${error instanceof Error ? error.message : String(error)}); ` +
            'a recording that was not closed cleanly can be repaired with `mcap recover`',
        );
      }
      const compressions = new Set(reader.chunkIndexes.map((c) => c.compression).filter((c) => c !== ''));
      const unreadable = [...compressions].filter((c) => !CHUNK_COMPRESSIONS.includes(c));
      if (unreadable.length > 0) {
        throw new RecordingError(
          `${path}: chunks are compressed with ${unreadable.join(', ')}, which taskmem cannot decompress (it reads ` +
            `${CHUNK_COMPRESSIONS.join(', ')} and uncompressed chunks); write an uncompressed copy with \`mcap decompress\` (mcap CLI) and ingest that`,
        );
      }
      if (compressions.size > 0) await chunkDecompressionReady;
      if (reader.chunkIndexes.length === 0 && (reader.statistics?.messageCount ?? 0n) > 0n) {
        // Messages outside chunks have no index to stream them from: reading would silently find none.
        throw new RecordingError(
          `${path}: its messages are not in chunks (rosbag2's \`fastwrite\` storage preset writes them so), and only a chunked ` +
            'recording can be read through its index; `mcap recover` (mcap CLI) writes a chunked copy',
        );
      }
      const unsupported = [...reader.channelsById.values()].filter((c) => c.messageEncoding !== 'cdr');
      if (unsupported.length > 0 && unsupported.length === reader.channelsById.size) {
        throw new RecordingError(`${path}: no channel uses the cdr message encoding of rosbag2 (found ${unsupported[0]!.messageEncoding})`);
      }
      const identity: RecordingIdentity = {
        path: absolute,
        size,
        start: reader.statistics?.messageStartTime ?? minOf(reader.chunkIndexes.map((c) => c.messageStartTime)),
        end: reader.statistics?.messageEndTime ?? maxOf(reader.chunkIndexes.map((c) => c.messageEndTime)),
      };
      return new McapRecording(identity, readable, reader);
    } catch (error) {
      await readable.close();
      throw error;
    }
  }

  get name(): string {
    return basename(this.identity.path);
  }

  /**
   * Decoded messages of `topics` in log-time order, from `startTime` on. A message that cannot be decoded
   * against its own schema ends the stream with an error naming topic and time: the file is damaged.
   */
  async *messages({ topics, startTime }: { topics: readonly string[]; startTime?: RosNanos }): AsyncGenerator<RecordedMessage> {
    const wanted = new Set([...this.#reader.channelsById.values()].filter((c) => topics.includes(c.topic)).map((c) => c.id));
    const records = this.#chunksInOrder ? this.#recordsByChunk(wanted, startTime ?? 0n) : this.#recordsByReader(topics, startTime);
    for await (const record of records) {
      const channel = this.#reader.channelsById.get(record.channelId);
      if (!channel) throw new RecordingError(`${this.name}: message at ${record.logTime} names unknown channel ${record.channelId}`);
      const schema = this.#reader.schemasById.get(channel.schemaId);
      let message: unknown;
      try {
        message = this.#decoder(channel.schemaId).readMessage(record.data);
      } catch (error) {
        throw new RecordingError(
          `${this.name}: cannot decode the message on ${channel.topic} logged at ${record.logTime} as ${schema?.name ?? '?'}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      yield { topic: channel.topic, type: schema?.name ?? '', logTime: record.logTime, message };
    }
  }

  /**
   * Messages of the wanted channels, chunk after chunk, each chunk's in log-time order. Valid when chunks do not
   * overlap in time (as rosbag2 writes them). Message data are views into the chunk read from the file (or into
   * its decompressed records): unlike the general indexed reader, nothing is copied, which is most of the cost of
   * replaying camera streams.
   */
  async *#recordsByChunk(
    wanted: Set<number>,
    startTime: RosNanos,
  ): AsyncGenerator<{ channelId: number; logTime: RosNanos; data: Uint8Array }> {
    for (const chunk of this.#reader.chunkIndexes) {
      if (chunk.messageEndTime < startTime) continue;
      const indexed = [...chunk.messageIndexOffsets.keys()];
      if (indexed.length > 0 && !indexed.some((id) => wanted.has(id))) continue;
      const bytes = await this.#readable.read(chunk.chunkStartOffset, chunk.chunkLength);
      const records = chunkMessages(bytes, wanted, `${this.name}: chunk at offset ${chunk.chunkStartOffset}`).filter(
        (r) => r.logTime >= startTime,
      );
      records.sort((a, b) => (a.logTime < b.logTime ? -1 : a.logTime > b.logTime ? 1 : 0));
      yield* records;
    }
  }

  /** Messages of `topics` through the general indexed reader, which merges chunks that overlap in time. */
  async *#recordsByReader(
    topics: readonly string[],
    startTime: RosNanos | undefined,
  ): AsyncGenerator<{ channelId: number; logTime: RosNanos; data: Uint8Array }> {
    try {
      yield* this.#reader.readMessages({ topics, validateCrcs: false, ...(startTime === undefined ? {} : { startTime }) });
    } catch (error) {
      throw new RecordingError(`${this.name}: cannot read messages: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  close(): Promise<void> {
    return this.#readable.close();
  }

  #decoder(schemaId: number): MessageReader {
    let decoder = this.#decoders.get(schemaId);
    if (decoder) return decoder;
    const schema = this.#reader.schemasById.get(schemaId);
    if (!schema) throw new Error(`schema ${schemaId} is missing from the file`);
    if (schema.encoding !== 'ros2msg') throw new Error(`schema ${schema.name} has encoding ${schema.encoding}, expected ros2msg`);
    decoder = new MessageReader(parse(new TextDecoder().decode(schema.data), { ros2: true }));
    this.#decoders.set(schemaId, decoder);
    return decoder;
  }
}

const MESSAGE_OPCODE = 0x05;
const CHUNK_OPCODE = 0x06;
const UTF8 = new TextDecoder();

/** The Message records of wanted channels inside one Chunk record (MCAP spec), as views. */
function chunkMessages(
  chunk: Uint8Array,
  wanted: Set<number>,
  where: string,
): { channelId: number; logTime: RosNanos; data: Uint8Array }[] {
  const fail = (why: string): never => {
    throw new RecordingError(`${where}: ${why} (the file is damaged)`);
  };
  const header = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk.length < 45 || header.getUint8(0) !== CHUNK_OPCODE) fail('not a chunk record');
  // opcode, record length, message start and end times, uncompressed size, uncompressed CRC, compression string
  const uncompressedSize = header.getBigUint64(1 + 8 + 8 + 8, true);
  let offset = 1 + 8 + 8 + 8 + 8 + 4;
  const compressionLength = header.getUint32(offset, true);
  if (offset + 4 + compressionLength + 8 > chunk.length) fail('truncated chunk header');
  const compression = UTF8.decode(chunk.subarray(offset + 4, offset + 4 + compressionLength));
  offset += 4 + compressionLength;
  const recordsEnd = offset + 8 + Number(header.getBigUint64(offset, true));
  offset += 8;
  if (recordsEnd > chunk.length) fail('records run past the chunk');
  let bytes = chunk.subarray(offset, recordsEnd);
  if (compression !== '') {
    try {
      bytes = decompressChunk(compression, bytes, uncompressedSize);
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  offset = 0;
  const messages: { channelId: number; logTime: RosNanos; data: Uint8Array }[] = [];
  while (offset < end) {
    if (offset + 9 > end) fail(`truncated record at byte ${offset} of its records`);
    const opcode = view.getUint8(offset);
    const length = Number(view.getBigUint64(offset + 1, true));
    const body = offset + 9;
    if (body + length > end) fail(`record at byte ${offset} of its records runs past them`);
    if (opcode === MESSAGE_OPCODE) {
      if (length < 22) fail(`message record at byte ${offset} of its records is too short`);
      const channelId = view.getUint16(body, true);
      // channel id (2), sequence (4), log time (8), publish time (8), then the data
      if (wanted.has(channelId))
        messages.push({ channelId, logTime: view.getBigUint64(body + 6, true), data: bytes.subarray(body + 22, body + length) });
    }
    offset = body + length;
  }
  return messages;
}

function minOf(values: bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a), values[0] ?? 0n);
}

function maxOf(values: bigint[]): bigint {
  return values.reduce((a, b) => (b > a ? b : a), values[0] ?? 0n);
}
