import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { RosNanos } from '../time.js';
import { RecordingError, type RecordedMessage, type RecordingChannel, type RecordingIdentity } from './McapRecording.js';
import { MessageDefinitions, type AudioCommonFlavour } from './MessageDefinitions.js';
import type { Recording } from './Recording.js';

/** The parts of a bag directory's `metadata.yaml` (rosbag2 `BagMetadata`, versions 4-9) taskmem reads. */
const bagMetadata = z.object({
  rosbag2_bagfile_information: z.object({
    storage_identifier: z.string(),
    relative_file_paths: z.array(z.string()).default([]),
    compression_format: z.string().nullish(),
    compression_mode: z.string().nullish(),
  }),
});

/** What a bag directory holds, from its metadata.yaml. */
export interface BagDirectory {
  /** The storage plugin, e.g. `sqlite3` or `mcap`. */
  storage: string;
  /** The storage files, in recording order. */
  files: string[];
}

/**
 * Reads a rosbag2 bag directory's metadata.yaml: its storage plugin and files. A directory without one (a
 * recording cut off before rosbag2 wrote it) is read from its `.db3` files in name order. A compressed bag is
 * refused: taskmem reads only uncompressed storage files.
 */
export function readBagDirectory(dir: string): BagDirectory {
  const metadataPath = join(dir, 'metadata.yaml');
  if (!existsSync(metadataPath)) {
    const db3 = readdirSync(dir)
      .filter((f) => f.endsWith('.db3'))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (db3.length === 0) throw new RecordingError(`${dir} is a folder, not a rosbag2 bag: it holds no metadata.yaml and no .db3 file`);
    return { storage: 'sqlite3', files: db3.map((f) => join(dir, f)) };
  }
  let info: z.infer<typeof bagMetadata>['rosbag2_bagfile_information'];
  try {
    info = bagMetadata.parse(parseYaml(readFileSync(metadataPath, 'utf8'))).rosbag2_bagfile_information;
  } catch (error) {
    const why =
      error instanceof z.ZodError
        ? error.issues.map((issue) => `${issue.path.join('.') || 'the file'}: ${issue.message}`).join('; ')
        : error instanceof Error
          ? error.message.split('\n')[0]
          : String(error);
    throw new RecordingError(`${metadataPath}: not a rosbag2 metadata.yaml (${why})`);
  }
  if (info.compression_format) {
    throw new RecordingError(
      `${dir}: the bag is compressed (${info.compression_format}, ${info.compression_mode ?? 'file'} mode), which taskmem does not read; ` +
        'write an uncompressed copy with `ros2 bag convert` and ingest that',
    );
  }
  const files = info.relative_file_paths.map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (files.length === 0 || missing.length > 0) {
    throw new RecordingError(
      `${dir}: metadata.yaml names ${files.length === 0 ? 'no storage file' : `missing files: ${missing.join(', ')}`}`,
    );
  }
  return { storage: info.storage_identifier, files };
}

interface Topic {
  name: string;
  type: string;
  serialization: string;
}

/**
 * A rosbag2 recording in rosbag2's SQLite storage (`sqlite3`, the `.db3` files Humble records by default): one
 * `.db3` file, or the files of a bag directory in order. The schema is rosbag2's — `topics` and `messages`, plus
 * `schema`, `metadata` and `message_definitions` in Jazzy-format bags. Message definitions come from the bag's
 * `message_definitions` table when it has one (Jazzy), else from the package's own definitions of the standard
 * messages taskmem reads (`interfaces/`), since a Humble bag records none. Messages stream from SQLite in log-time
 * order (rosbag2 indexes `messages.timestamp`), so memory stays bounded whatever the bag's size.
 */
export class Rosbag2Recording implements Recording {
  readonly identity: RecordingIdentity;
  readonly channels: readonly RecordingChannel[];
  readonly name: string;
  readonly #files: Database.Database[];
  readonly #decoders = new Map<string, MessageReader>();

  private constructor(name: string, identity: RecordingIdentity, channels: RecordingChannel[], files: Database.Database[]) {
    this.name = name;
    this.identity = identity;
    this.channels = channels;
    this.#files = files;
  }

  /** Opens `files` (a bag's `.db3` files, in order), `path` being what the user named (the file or the directory). */
  static open(path: string, files: readonly string[]): Rosbag2Recording {
    const opened: Database.Database[] = [];
    try {
      for (const file of files) opened.push(openBagFile(file));
      const topics = new Map<string, Topic & { count: number }>();
      let start: bigint | null = null;
      let end: bigint | null = null;
      for (const db of opened) {
        const rows = db
          .prepare(
            `SELECT t.name, t.type, t.serialization_format AS serialization, count(m.id) AS count, min(m.timestamp) AS start, max(m.timestamp) AS end
             FROM topics t LEFT JOIN messages m ON m.topic_id = t.id GROUP BY t.id`,
          )
          .safeIntegers(true)
          .all() as (Topic & { count: bigint; start: bigint | null; end: bigint | null })[];
        for (const row of rows) {
          const known = topics.get(row.name);
          if (known && known.type !== row.type)
            throw new RecordingError(`${basename(path)}: topic ${row.name} is recorded as both ${known.type} and ${row.type}`);
          topics.set(row.name, { ...row, count: (known?.count ?? 0) + Number(row.count) });
          if (row.start !== null && (start === null || row.start < start)) start = row.start;
          if (row.end !== null && (end === null || row.end > end)) end = row.end;
        }
      }
      const recorded = recordedDefinitions(opened);
      const channels = [...topics.values()].map((t): RecordingChannel => ({
        topic: t.name,
        type: t.type,
        messageCount: t.count,
        schema: recorded.get(t.type) ?? packageDefinition(t.type),
      }));
      const absolute = resolve(path);
      const size = files.reduce((sum, f) => sum + BigInt(statSync(f).size), 0n);
      const identity: RecordingIdentity = {
        path: absolute,
        size,
        start: start ?? 0n,
        end: end ?? 0n,
        content: contentKey(opened, [...topics.values()], start, end),
      };
      return new Rosbag2Recording(basename(absolute), identity, channels, opened);
    } catch (error) {
      for (const db of opened) db.close();
      throw error;
    }
  }

  async *messages({ topics, startTime = 0n }: { topics: readonly string[]; startTime?: RosNanos }): AsyncGenerator<RecordedMessage> {
    const wanted = this.channels.filter((c) => topics.includes(c.topic));
    if (wanted.length === 0) return;
    const names = wanted.map((c) => c.topic);
    for (const db of this.#files) {
      const rows = db
        .prepare(
          `SELECT t.name AS topic, t.type, m.timestamp, m.data FROM messages m JOIN topics t ON t.id = m.topic_id
           WHERE t.name IN (${names.map(() => '?').join(', ')}) AND m.timestamp >= ? ORDER BY m.timestamp, m.id`,
        )
        .safeIntegers(true)
        .iterate(...names, startTime) as IterableIterator<{ topic: string; type: string; timestamp: bigint; data: Buffer }>;
      for (const row of rows) {
        let message: unknown;
        try {
          message = this.#decoder(row.topic, row.type).readMessage(row.data);
        } catch (error) {
          throw new RecordingError(
            `${this.name}: cannot decode the message on ${row.topic} logged at ${row.timestamp} as ${row.type}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        yield { topic: row.topic, type: row.type, logTime: row.timestamp, message };
      }
    }
  }

  close(): Promise<void> {
    for (const db of this.#files) db.close();
    return Promise.resolve();
  }

  #decoder(topic: string, type: string): MessageReader {
    let decoder = this.#decoders.get(topic);
    if (decoder) return decoder;
    const schema = this.channels.find((c) => c.topic === topic)?.schema;
    if (!schema || schema.encoding !== 'ros2msg') {
      throw new Error(`no message definition of ${type}: the bag records none (a Humble bag never does) and taskmem has none of its own`);
    }
    decoder = new MessageReader(parse(schema.text, { ros2: true }));
    this.#decoders.set(topic, decoder);
    return decoder;
  }
}

/** One `.db3` file opened read-only, checked to have rosbag2's tables. */
function openBagFile(file: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new RecordingError(`${file}: cannot open as SQLite (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    const missing = ['topics', 'messages'].filter((t) => !tables.has(t));
    if (missing.length > 0) throw new RecordingError(`${file}: not a rosbag2 SQLite bag (no ${missing.join(' or ')} table)`);
    const formats = db.prepare("SELECT DISTINCT serialization_format FROM topics WHERE serialization_format != 'cdr'").pluck().all();
    const cdr = db.prepare("SELECT count(*) FROM topics WHERE serialization_format = 'cdr'").pluck().get() as number;
    if (formats.length > 0 && cdr === 0)
      throw new RecordingError(`${file}: no topic uses the cdr serialization of rosbag2 (found ${String(formats[0])})`);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof RecordingError) throw error;
    throw new RecordingError(`${file}: not a rosbag2 SQLite bag (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** The `ros2msg` definitions a Jazzy-format bag records (`message_definitions`), by type. */
function recordedDefinitions(files: readonly Database.Database[]): Map<string, RecordingChannel['schema']> {
  const definitions = new Map<string, RecordingChannel['schema']>();
  for (const db of files) {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'message_definitions'").get();
    if (!hasTable) continue;
    const rows = db.prepare('SELECT topic_type AS type, encoding, encoded_message_definition AS text FROM message_definitions').all() as {
      type: string;
      encoding: string;
      text: string;
    }[];
    // rosbag2 writes encoding "unknown" and an empty text for a type it found no definition of.
    for (const row of rows)
      if (row.text !== '' && row.encoding !== 'unknown') definitions.set(row.type, { encoding: row.encoding, text: row.text });
  }
  return definitions;
}

const FLAVOURS: AudioCommonFlavour[] = ['ros_drivers', 'mgonzs13'];

/** The package's own definition of a standard type, in the first audio_common_msgs flavour that has it; null when none does. */
function packageDefinition(type: string): RecordingChannel['schema'] {
  for (const audioCommon of FLAVOURS) {
    try {
      return { encoding: 'ros2msg', text: new MessageDefinitions({ audioCommon }).schemaText(type) };
    } catch {
      // Not this flavour's (or not a type the package defines): the next flavour, or none.
    }
  }
  return null;
}

/** Messages hashed at each end of each storage file for its content key. */
const CONTENT_MESSAGES = 16;

/**
 * What identifies a SQLite bag by its content, wherever its files are and whatever their names (as McapRecording's
 * key does for MCAP): its topics with their types and message counts, its first and last message times, and a
 * SHA-256 of the first and last messages of each storage file (through the timestamp index, so in constant time
 * whatever the bag's size). A copied or moved bag has the same key; two recordings have different ones.
 */
function contentKey(files: Database.Database[], topics: (Topic & { count: number })[], start: bigint | null, end: bigint | null): string {
  const hash = createHash('sha256');
  hash.update(`${start ?? ''} ${end ?? ''}\n`);
  for (const t of [...topics].sort((a, b) => a.name.localeCompare(b.name))) hash.update(`${t.name} ${t.type} ${t.count}\n`);
  for (const db of files) {
    for (const order of ['ASC', 'DESC']) {
      const rows = db
        .prepare(
          `SELECT t.name, m.timestamp, m.data FROM messages m JOIN topics t ON t.id = m.topic_id
           ORDER BY m.timestamp ${order}, m.id ${order} LIMIT ${CONTENT_MESSAGES}`,
        )
        .safeIntegers(true)
        .all() as { name: string; timestamp: bigint; data: Buffer }[];
      for (const row of rows) hash.update(`${row.name} ${row.timestamp} ${row.data.length}\n`).update(row.data);
    }
  }
  return `rosbag2-sqlite3-sha256:${hash.digest('hex')}`;
}
