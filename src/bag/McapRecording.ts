import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { McapIndexedReader, hasMcapPrefix, MCAP_MAGIC } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { FileReadable } from './FileReadable.js';
import { CHUNK_COMPRESSIONS, chunkDecompressHandlers, chunkDecompressionReady, decompressChunk } from './ChunkDecompression.js';
import { silentLogger, type Logger } from '../log.js';
import type { RosNanos } from '../time.js';
import type { Recording } from './Recording.js';

/** A topic of a recording and the ROS type of its messages, e.g. `sensor_msgs/msg/Image`. */
export interface RecordingChannel {
  topic: string;
  type: string;
  messageCount: number | null;
  /** The message definition recorded for the channel (rosbag2: encoding `ros2msg`); null when none is. */
  schema: { encoding: string; text: string } | null;
}

/** A decoded message of a recording. */
export interface RecordedMessage {
  topic: string;
  type: string;
  /** When the recorder received it (MCAP log time); segmentation uses the header stamp instead. */
  logTime: RosNanos;
  message: unknown;
}

/** Where a recording is, and what makes it the same recording across runs, for resuming an ingest. */
export interface RecordingIdentity {
  path: string;
  size: bigint;
  /** First and last log times of its messages; 0 for an empty recording. */
  start: RosNanos;
  end: RosNanos;
  /**
   * The recording's content, wherever the file is and whatever its name: `mcap-sha256:<hex>` over its size, first
   * and last message times, message count and the bytes at its head and tail (see `contentKey`). A copied or
   * moved file has the same; two recordings have different ones.
   */
  content: string;
}

/** Bytes hashed at each end of a recording for its content key. */
const CONTENT_BYTES = 1n << 16n;

/** Thrown when a file cannot be read as a rosbag2 MCAP recording; the message says which file and why. */
export class RecordingError extends Error {
  override name = 'RecordingError';
}

export interface McapRecordingOptions {
  /**
   * Read on, with a warning, where a CRC does not match (`--ignore-crc`), instead of stopping with an error: for
   * salvaging what a damaged recording still holds, knowing that what is read from a damaged chunk may be wrong.
   */
  ignoreCrc?: boolean;
  /** Receives the warnings of the CRC mismatches read past. */
  logger?: Logger;
}

type ChunkIndex = McapIndexedReader['chunkIndexes'][number];

/** Bytes read at a time while checking the data section's CRC. */
const CRC_READ_BYTES = 8n << 20n;

/**
 * A rosbag2 MCAP recording (profile ros2, schema encoding ros2msg, message encoding cdr), read through its index:
 * messages stream in log-time order chunk by chunk, so memory stays bounded whatever the file size. Chunks may be
 * uncompressed or compressed with zstd or lz4; each is decompressed when it is read. Callers must `close()` it.
 */
export class McapRecording implements Recording {
  readonly identity: RecordingIdentity;
  readonly channels: readonly RecordingChannel[];
  readonly #readable: FileReadable;
  readonly #reader: McapIndexedReader;
  readonly #decoders = new Map<number, MessageReader>();
  /** Chunks sorted by start time do not overlap in time: messages can be read chunk by chunk. */
  readonly #chunksInOrder: boolean;
  readonly #ignoreCrc: boolean;
  readonly #logger: Logger;
  /** The data section's CRC and, for overlapping chunks, every chunk's, checked before the first message is read. */
  #checked: Promise<void> | null = null;

  private constructor(identity: RecordingIdentity, readable: FileReadable, reader: McapIndexedReader, options: McapRecordingOptions) {
    this.identity = identity;
    this.#readable = readable;
    this.#reader = reader;
    this.#ignoreCrc = options.ignoreCrc ?? false;
    this.#logger = options.logger ?? silentLogger;
    this.#chunksInOrder = reader.chunkIndexes.every((c, i, all) => i === 0 || c.messageStartTime >= all[i - 1]!.messageEndTime);
    const counts = reader.statistics?.channelMessageCounts;
    this.channels = [...reader.channelsById.values()].map((channel) => {
      const schema = reader.schemasById.get(channel.schemaId);
      return {
        topic: channel.topic,
        type: schema?.name ?? '(no schema)',
        messageCount: counts?.has(channel.id) ? Number(counts.get(channel.id)) : null,
        schema: schema ? { encoding: schema.encoding, text: new TextDecoder().decode(schema.data) } : null,
      };
    });
  }

  /**
   * Opens a recording through its index (whose own CRC is checked here). The CRCs of the data it holds are checked
   * as it is read (see `messages`), and a mismatch is an error unless `ignoreCrc`.
   */
  static async open(path: string, options: McapRecordingOptions = {}): Promise<McapRecording> {
    const absolute = resolve(path);
    let readable: FileReadable;
    try {
      if ((await stat(absolute)).isDirectory()) throw new RecordingError(`${path} is a folder; open it with openRecording`);
      readable = await FileReadable.open(absolute);
    } catch (error) {
      if (error instanceof RecordingError) throw error;
      throw new RecordingError(`${path}: ${openProblem(error as NodeJS.ErrnoException)}`);
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
      const start = reader.statistics?.messageStartTime ?? minOf(reader.chunkIndexes.map((c) => c.messageStartTime));
      const end = reader.statistics?.messageEndTime ?? maxOf(reader.chunkIndexes.map((c) => c.messageEndTime));
      const identity: RecordingIdentity = {
        path: absolute,
        size,
        start,
        end,
        content: await contentKey(readable, size, reader, start, end),
      };
      return new McapRecording(identity, readable, reader, options);
    } catch (error) {
      await readable.close();
      if (error instanceof RecordingError) throw error;
      throw new RecordingError(
        `${path}: cannot be read (${error instanceof Error ? error.message : String(error)}); check the disk it is on`,
        {
          cause: error,
        },
      );
    }
  }

  get name(): string {
    return basename(this.identity.path);
  }

  /**
   * Decoded messages of `topics` in log-time order, from `startTime` on. A message that cannot be decoded
   * against its own schema ends the stream with an error naming topic and time: the file is damaged.
   *
   * CRCs are checked before anything damaged is read: the data section's (when the writer recorded one; rosbag2
   * does not by default) before the first message, over the whole section; each chunk's as it is read (for
   * overlapping chunks, all of them before the first message). A mismatch is a RecordingError naming the chunk
   * and its offset, unless `ignoreCrc`.
   */
  async *messages({ topics, startTime }: { topics: readonly string[]; startTime?: RosNanos }): AsyncGenerator<RecordedMessage> {
    this.#checked ??= this.#checkBeforeReading();
    await this.#checked;
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
      const records = (await this.#readChunk(chunk, wanted)).filter((r) => r.logTime >= startTime);
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

  /**
   * The messages of `wanted` channels in one chunk. Its CRC is checked before its records are parsed, so that a
   * damaged chunk is reported as such (or, with ignoreCrc, read with a warning).
   */
  async #readChunk(chunk: ChunkIndex, wanted: Set<number>): Promise<ChunkMessage[]> {
    const { records, where, crc } = await this.#chunkCrc(chunk);
    if (crc) this.#crcMismatch(crc);
    return chunkMessages(records, wanted, `${this.name}: ${where}`);
  }

  /** A chunk's uncompressed records, its name for messages, and what is wrong with its CRC (null: it matches or has none). */
  async #chunkCrc(chunk: ChunkIndex): Promise<{ records: Uint8Array; where: string; crc: string | null }> {
    const bytes = await this.#readable.read(chunk.chunkStartOffset, chunk.chunkLength);
    const where = `chunk ${this.#reader.chunkIndexes.indexOf(chunk) + 1} of ${this.#reader.chunkIndexes.length} at offset ${chunk.chunkStartOffset}`;
    const { records, computedCrc, recordedCrc } = chunkRecords(bytes, `${this.name}: ${where}`);
    const crc =
      recordedCrc === 0 || computedCrc === recordedCrc
        ? null
        : `${where} does not match its CRC (computed ${hex(computedCrc)}, recorded ${hex(recordedCrc)})`;
    return { records, where, crc };
  }

  async #checkBeforeReading(): Promise<void> {
    if (!this.#chunksInOrder) {
      // The general reader merges overlapping chunks without naming the one that fails: check each first.
      for (const chunk of this.#reader.chunkIndexes) {
        const { crc } = await this.#chunkCrc(chunk);
        if (crc) this.#crcMismatch(crc);
      }
    }
    const recorded = this.#reader.dataSectionCrc;
    if (recorded === undefined) return;
    const end = this.#reader.dataEndOffset;
    let computed = 0;
    for (let offset = 0n; offset < end; offset += CRC_READ_BYTES) {
      computed = crc32(await this.#readable.read(offset, end - offset < CRC_READ_BYTES ? end - offset : CRC_READ_BYTES), computed);
    }
    if (computed === recorded) return;
    // Name the damaged chunk when it is one; otherwise the damage is in the records between chunks.
    let damaged: string | null = null;
    for (const chunk of this.#reader.chunkIndexes) {
      damaged = (await this.#chunkCrc(chunk).catch((error: unknown) => ({ crc: (error as Error).message }))).crc;
      if (damaged) break;
    }
    this.#crcMismatch(
      `the data section (bytes 0–${end}) does not match its CRC (computed ${hex(computed)}, recorded ${hex(recorded)}): ` +
        (damaged ?? 'every chunk matches its own CRC, so the damage is in the records between chunks (schemas, channels, indexes)'),
    );
  }

  /** A CRC mismatch: an error, or with `ignoreCrc` a warning and reading on. */
  #crcMismatch(what: string): void {
    if (!this.#ignoreCrc) {
      throw new RecordingError(
        `${this.name}: ${what}; the recording is damaged (cut short, or altered on disk or in a copy). ` +
          'To memorize what can still be read, run again with --ignore-crc',
      );
    }
    this.#logger.warn(`${this.name}: ${what}; read anyway (--ignore-crc): what comes from there may be wrong`);
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

interface ChunkMessage {
  channelId: number;
  logTime: RosNanos;
  data: Uint8Array;
}

/**
 * The uncompressed records of one Chunk record (MCAP spec), with their CRC-32 and the one the chunk's header
 * recorded (0: none recorded, nothing computed).
 */
function chunkRecords(chunk: Uint8Array, where: string): { records: Uint8Array; computedCrc: number; recordedCrc: number } {
  const fail = damaged(where);
  const header = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk.length < 45 || header.getUint8(0) !== CHUNK_OPCODE) fail('not a chunk record');
  // opcode, record length, message start and end times, uncompressed size, uncompressed CRC, compression string
  const uncompressedSize = header.getBigUint64(1 + 8 + 8 + 8, true);
  const recordedCrc = header.getUint32(1 + 8 + 8 + 8 + 8, true);
  let offset = 1 + 8 + 8 + 8 + 8 + 4;
  const compressionLength = header.getUint32(offset, true);
  if (offset + 4 + compressionLength + 8 > chunk.length) fail('truncated chunk header');
  const compression = UTF8.decode(chunk.subarray(offset + 4, offset + 4 + compressionLength));
  offset += 4 + compressionLength;
  const recordsEnd = offset + 8 + Number(header.getBigUint64(offset, true));
  offset += 8;
  if (recordsEnd > chunk.length) fail('records run past the chunk');
  let records = chunk.subarray(offset, recordsEnd);
  if (compression !== '') {
    try {
      records = decompressChunk(compression, records, uncompressedSize);
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
  }
  return { records, computedCrc: recordedCrc === 0 ? 0 : crc32(records), recordedCrc };
}

/** The Message records of wanted channels among a chunk's uncompressed records, as views. */
function chunkMessages(bytes: Uint8Array, wanted: Set<number>, where: string): ChunkMessage[] {
  const fail = damaged(where);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let offset = 0;
  const messages: ChunkMessage[] = [];
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

function damaged(where: string): (why: string) => never {
  return (why) => {
    throw new RecordingError(`${where}: ${why} (the file is damaged)`);
  };
}

function hex(crc: number): string {
  return `0x${crc.toString(16).padStart(8, '0')}`;
}

function minOf(values: bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a), values[0] ?? 0n);
}

function maxOf(values: bigint[]): bigint {
  return values.reduce((a, b) => (b > a ? b : a), values[0] ?? 0n);
}

/** Why a recording file cannot be opened, and what to do. */
export function openProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file; check the path (a recording is an .mcap or .db3 file, or the folder `ros2 bag record` writes)';
    case 'EACCES':
    case 'EPERM':
      return 'no permission to read it; make it readable (chmod) or run as its owner';
    case 'ELOOP':
      return 'a loop of symbolic links; give the recording file itself';
    default:
      return `cannot open (${error.message}); check the path and the disk it is on`;
  }
}

/**
 * What identifies a recording by its content, read in constant time whatever its size: its size, first and last
 * message times and message count, and a SHA-256 of its first and last 64 KiB. The head holds the header, the
 * first schemas and channels and the start of the first chunk (its messages); the tail holds the summary (chunk
 * indexes with each chunk's offsets and times, statistics) and the footer. Two recordings that agree on all of
 * that are byte-identical in practice; a copy, a move or a rename changes none of it.
 */
async function contentKey(
  readable: FileReadable,
  size: bigint,
  reader: McapIndexedReader,
  start: RosNanos,
  end: RosNanos,
): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${size} ${start} ${end} ${reader.statistics?.messageCount ?? ''}\n`);
  const head = size < CONTENT_BYTES ? size : CONTENT_BYTES;
  hash.update(await readable.read(0n, head));
  const tailFrom = size - CONTENT_BYTES > head ? size - CONTENT_BYTES : head;
  hash.update(await readable.read(tailFrom, size - tailFrom));
  return `mcap-sha256:${hash.digest('hex')}`;
}
