import type { RosNanos } from '../time.js';
import type { FailedSegment } from './Memory.js';

/** Where ingests and live runs resume: failed segments kept for a retry, episode numbers and ingest progress. */
export interface IngestRecords {
  /** Records a failed segment, replacing the reason and attempt count of an earlier failure of the same id. */
  recordFailure(failure: FailedSegment): Promise<void>;
  /** Failed segments (of one robot when given), by robot, episode and start. */
  failures(robotId?: string): Promise<FailedSegment[]>;
  clearFailure(id: string): Promise<void>;

  /** Highest episode number of a robot (claimed, or in memories or failures), or -1. */
  lastEpisode(robotId: string): Promise<number>;
  /** Resume point of an ingest keyed by source (e.g. an MCAP file path and size): last segment end done. */
  getProgress(key: string): Promise<RosNanos | null>;
  setProgress(key: string, done: RosNanos): Promise<void>;
}
