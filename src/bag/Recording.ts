import type { RosNanos } from '../time.js';
import type { RecordedMessage, RecordingChannel, RecordingIdentity } from './McapRecording.js';

/**
 * A rosbag2 recording as taskmem reads it, whatever its storage (MCAP, or SQLite `.db3` as Humble records by
 * default): its topics, what identifies it across runs, and its decoded messages in log-time order. Callers must
 * `close()` it.
 */
export interface Recording {
  readonly identity: RecordingIdentity;
  readonly channels: readonly RecordingChannel[];
  /** The file or bag directory's name, for messages. */
  readonly name: string;
  /** Decoded messages of `topics` in log-time order, from `startTime` on; a damaged message ends it with a RecordingError. */
  messages(options: { topics: readonly string[]; startTime?: RosNanos }): AsyncGenerator<RecordedMessage>;
  close(): Promise<void>;
}
