import { statSync } from 'node:fs';
import { join } from 'node:path';
import { McapRecording, RecordingError, type McapRecordingOptions } from './McapRecording.js';
import type { Recording } from './Recording.js';
import { readBagDirectory, Rosbag2Recording } from './Rosbag2Recording.js';

/**
 * Opens what a user names as a recording: an MCAP file, a rosbag2 SQLite file (`.db3`, Humble's default), or a
 * rosbag2 bag directory (its metadata.yaml says which storage and files). `options` apply to MCAP (CRC checks;
 * rosbag2's SQLite storage records no checksums).
 */
export async function openRecording(path: string, options: McapRecordingOptions = {}): Promise<Recording> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RecordingError(code === 'ENOENT' ? `${path}: no such file or bag directory` : `${path}: cannot open (${String(error)})`);
  }
  if (isDirectory) {
    const bag = readBagDirectory(path);
    if (bag.storage === 'sqlite3') return Rosbag2Recording.open(path, bag.files);
    if (bag.storage === 'mcap') {
      if (bag.files.length > 1)
        throw new RecordingError(`${path}: a bag split into ${bag.files.length} MCAP files; ingest each file (${bag.files.join(', ')})`);
      return McapRecording.open(bag.files[0]!, options);
    }
    throw new RecordingError(`${path}: the bag's storage is ${bag.storage}; taskmem reads mcap and sqlite3`);
  }
  if (path.endsWith('.db3')) return Rosbag2Recording.open(path, [path]);
  return McapRecording.open(path, options);
}

/**
 * The files reading `path` as a recording would read: the path itself, and for a bag directory its metadata.yaml
 * and storage files (so that no output is written over one of them). A directory that is not a readable bag is
 * left to `openRecording` to report.
 */
export function recordingFiles(path: string): string[] {
  let bag;
  try {
    bag = statSync(path).isDirectory() ? readBagDirectory(path) : null;
  } catch {
    return [path];
  }
  return bag === null ? [path] : [path, join(path, 'metadata.yaml'), ...bag.files];
}
