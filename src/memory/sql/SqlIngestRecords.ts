import type { RosNanos } from '../../time.js';
import type { IngestRecords } from '../IngestRecords.js';
import type { FailedSegment } from '../Memory.js';
import type { SqlConnection, SqlInteger } from './SqlConnection.js';
import { highestEpisode } from './SqlEpisodeClaims.js';

interface FailureRow {
  id: string;
  robot_id: string;
  episode: SqlInteger;
  segment_index: SqlInteger;
  start_ns: SqlInteger;
  end_ns: SqlInteger;
  reason: string;
  attempts: SqlInteger;
}

/** Failed segments, episode numbers and ingest progress, in SQL both dialects share (tables `failures`, `progress`). */
export class SqlIngestRecords implements IngestRecords {
  readonly #sql: SqlConnection;

  constructor(sql: SqlConnection) {
    this.#sql = sql;
  }

  async recordFailure(failure: FailedSegment): Promise<void> {
    await this.#sql.run(
      `INSERT INTO failures (id, robot_id, episode, segment_index, start_ns, end_ns, reason, attempts)
       VALUES (@id, @robotId, @episode, @segmentIndex, @start, @end, @reason, @attempts)
       ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts`,
      {
        id: failure.id,
        robotId: failure.robotId,
        episode: failure.episode,
        segmentIndex: failure.segmentIndex,
        start: failure.start,
        end: failure.end,
        reason: failure.reason,
        attempts: failure.attempts,
      },
    );
  }

  async failures(robotId?: string): Promise<FailedSegment[]> {
    const rows = await this.#sql.all<FailureRow>(
      `SELECT id, robot_id, episode, segment_index, start_ns, end_ns, reason, attempts FROM failures
       ${robotId === undefined ? '' : 'WHERE robot_id = @robotId'} ORDER BY robot_id, episode, start_ns`,
      { robotId },
    );
    return rows.map((r) => ({
      id: r.id,
      robotId: r.robot_id,
      episode: Number(r.episode),
      segmentIndex: Number(r.segment_index),
      start: BigInt(r.start_ns),
      end: BigInt(r.end_ns),
      reason: r.reason,
      attempts: Number(r.attempts),
    }));
  }

  async clearFailure(id: string): Promise<void> {
    await this.#sql.run('DELETE FROM failures WHERE id = @id', { id });
  }

  lastEpisode(robotId: string): Promise<number> {
    return highestEpisode(this.#sql, robotId);
  }

  async getProgress(key: string): Promise<RosNanos | null> {
    const row = await this.#sql.get<{ done_ns: SqlInteger }>('SELECT done_ns FROM progress WHERE key = @key', { key });
    return row ? BigInt(row.done_ns) : null;
  }

  async setProgress(key: string, done: RosNanos): Promise<void> {
    await this.#sql.run(
      'INSERT INTO progress (key, done_ns) VALUES (@key, @done) ON CONFLICT (key) DO UPDATE SET done_ns = excluded.done_ns',
      { key, done },
    );
  }
}
