/**
 * rosbag2 SQLite bags (`.db3`) written from an MCAP recording, in the schema rosbag2's sqlite3 storage plugin
 * writes: Humble (schema version 3: `schema`, `metadata`, `topics`, `messages`; no message definitions) and Jazzy
 * (schema version 4: `topics.type_description_hash` and a `message_definitions` table), with the bag directory's
 * metadata.yaml beside the file. Same topics, log times and CDR bytes as the MCAP, so both hold the same scene.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { McapIndexedReader } from '@mcap/core';
import { stringify } from 'yaml';
import { FileReadable } from '../../src/bag/FileReadable.js';

export type Rosbag2Format = 'humble' | 'jazzy';

const QOS = `- history: 3
  depth: 0
  reliability: 1
  durability: 2
  deadline:
    sec: 9223372036
    nsec: 854775807
  lifespan:
    sec: 9223372036
    nsec: 854775807
  liveliness: 1
  liveliness_lease_duration:
    sec: 9223372036
    nsec: 854775807
  avoid_ros_namespace_conventions: false`;

const SCHEMA: Record<Rosbag2Format, string> = {
  humble: `
    CREATE TABLE schema(schema_version INTEGER PRIMARY KEY, ros_distro TEXT NOT NULL);
    CREATE TABLE metadata(id INTEGER PRIMARY KEY, metadata_version INTEGER NOT NULL, metadata TEXT NOT NULL);
    CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, serialization_format TEXT NOT NULL,
      offered_qos_profiles TEXT NOT NULL);
    CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL, timestamp INTEGER NOT NULL, data BLOB NOT NULL);
    CREATE INDEX timestamp_idx ON messages (timestamp ASC);
    INSERT INTO schema(schema_version, ros_distro) VALUES (3, 'humble');`,
  jazzy: `
    CREATE TABLE schema(schema_version INTEGER PRIMARY KEY, ros_distro TEXT NOT NULL);
    CREATE TABLE metadata(id INTEGER PRIMARY KEY, metadata_version INTEGER NOT NULL, metadata TEXT NOT NULL);
    CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, serialization_format TEXT NOT NULL,
      offered_qos_profiles TEXT NOT NULL, type_description_hash TEXT NOT NULL);
    CREATE TABLE message_definitions(id INTEGER PRIMARY KEY, topic_type TEXT NOT NULL, encoding TEXT NOT NULL,
      encoded_message_definition TEXT NOT NULL, type_description_hash TEXT NOT NULL);
    CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL, timestamp INTEGER NOT NULL, data BLOB NOT NULL);
    CREATE INDEX timestamp_idx ON messages (timestamp ASC);
    INSERT INTO schema(schema_version, ros_distro) VALUES (4, 'jazzy');`,
};

/**
 * Writes the messages of the MCAP recording `from` as the rosbag2 bag directory `dir` (`<name>_0.db3` and
 * metadata.yaml) in `format`; returns the .db3 file's path.
 */
export async function writeRosbag2Bag(from: string, dir: string, format: Rosbag2Format): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${basename(dir)}_0.db3`);
  const db = new Database(file);
  const readable = await FileReadable.open(from);
  try {
    db.exec(SCHEMA[format]);
    const reader = await McapIndexedReader.Initialize({ readable });
    const topicIds = new Map<number, number>();
    const counts = new Map<number, number>();
    const addTopic = db.prepare(
      format === 'jazzy'
        ? 'INSERT INTO topics (name, type, serialization_format, offered_qos_profiles, type_description_hash) VALUES (?, ?, ?, ?, ?)'
        : 'INSERT INTO topics (name, type, serialization_format, offered_qos_profiles) VALUES (?, ?, ?, ?)',
    );
    for (const channel of reader.channelsById.values()) {
      const schema = reader.schemasById.get(channel.schemaId)!;
      const args = [channel.topic, schema.name, 'cdr', QOS, ...(format === 'jazzy' ? [`RIHS01_${'0'.repeat(64)}`] : [])];
      topicIds.set(channel.id, Number(addTopic.run(...args).lastInsertRowid));
      if (format === 'jazzy') {
        db.prepare(
          "INSERT INTO message_definitions (topic_type, encoding, encoded_message_definition, type_description_hash) VALUES (?, 'ros2msg', ?, ?)",
        ).run(schema.name, new TextDecoder().decode(schema.data), `RIHS01_${'0'.repeat(64)}`);
      }
    }
    const addMessage = db.prepare('INSERT INTO messages (topic_id, timestamp, data) VALUES (?, ?, ?)');
    let start: bigint | null = null;
    let end = 0n;
    db.exec('BEGIN');
    for await (const message of reader.readMessages()) {
      addMessage.run(topicIds.get(message.channelId)!, message.logTime, Buffer.from(message.data));
      counts.set(message.channelId, (counts.get(message.channelId) ?? 0) + 1);
      start ??= message.logTime;
      end = message.logTime;
    }
    db.exec('COMMIT');
    const metadata = stringify({
      rosbag2_bagfile_information: {
        version: format === 'jazzy' ? 9 : 5,
        storage_identifier: 'sqlite3',
        duration: { nanoseconds: Number(end - (start ?? 0n)) },
        starting_time: { nanoseconds_since_epoch: Number(start ?? 0n) },
        message_count: [...counts.values()].reduce((a, b) => a + b, 0),
        topics_with_message_count: [...reader.channelsById.values()].map((channel) => ({
          topic_metadata: {
            name: channel.topic,
            type: reader.schemasById.get(channel.schemaId)!.name,
            serialization_format: 'cdr',
            offered_qos_profiles: QOS,
            ...(format === 'jazzy' ? { type_description_hash: `RIHS01_${'0'.repeat(64)}` } : {}),
          },
          message_count: counts.get(channel.id) ?? 0,
        })),
        compression_format: '',
        compression_mode: '',
        relative_file_paths: [basename(file)],
        files: [
          {
            path: basename(file),
            starting_time: { nanoseconds_since_epoch: Number(start ?? 0n) },
            duration: { nanoseconds: Number(end - (start ?? 0n)) },
            message_count: [...counts.values()].reduce((a, b) => a + b, 0),
          },
        ],
        ...(format === 'jazzy' ? { custom_data: {}, ros_distro: 'jazzy' } : {}),
      },
    });
    db.prepare('INSERT INTO metadata (metadata_version, metadata) VALUES (?, ?)').run(format === 'jazzy' ? 9 : 5, metadata);
    writeFileSync(join(dir, 'metadata.yaml'), metadata);
    return file;
  } finally {
    db.close();
    await readable.close();
  }
}
