import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { McapRecording, openProblem, RecordingError, type McapRecordingOptions } from './McapRecording.js';
import type { Recording } from './Recording.js';
import { readBagDirectory, Rosbag2Recording, type BagDirectory } from './Rosbag2Recording.js';

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
    throw new RecordingError(`${path}: ${openProblem(error as NodeJS.ErrnoException)}`);
  }
  if (isDirectory) {
    let bag: BagDirectory;
    try {
      bag = readBagDirectory(path);
    } catch (error) {
      if (!(error instanceof RecordingError)) throw error;
      throw new RecordingError(`${error.message}${mcapFilesHint(path)}`);
    }
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
 * What to give instead of a folder that is not a readable bag but holds MCAP files (one copied out of a bag, or a
 * bag whose metadata.yaml was lost or damaged): the first of them.
 */
function mcapFilesHint(folder: string): string {
  let files: string[];
  try {
    files = readdirSync(folder)
      .filter((name) => name.endsWith('.mcap'))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return '';
  }
  if (files.length === 0) return '';
  const more = files.length > 1 ? ` (it holds ${files.length}: ingest them one after the other, in order)` : '';
  return `; give the .mcap file in it, e.g. ${join(folder, files[0]!)}${more}`;
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
