import { EpisodeBusyError, type EpisodeClaim, type EpisodeClaims, type EpisodeLease } from '../EpisodeClaims.js';
import { describeHolder, isDeadHolder } from '../leaseHolder.js';
import type { SqlConnection, SqlExecutor, SqlInteger } from './SqlConnection.js';

interface ClaimRow {
  episode: SqlInteger;
  holder: string;
  lease_until_ms: SqlInteger;
}

/**
 * EpisodeClaims in SQL both dialects share (table `episodes`). A claim runs in one transaction that first takes
 * the robot's lock (PostgreSQL: an advisory lock per robot; SQLite: the database's write lock, taken by BEGIN
 * IMMEDIATE), so the highest episode it reads cannot be claimed by anyone else before it inserts the next.
 */
export class SqlEpisodeClaims implements EpisodeClaims {
  readonly #sql: SqlConnection;

  constructor(sql: SqlConnection) {
    this.#sql = sql;
  }

  claimEpisode(claim: EpisodeClaim): Promise<number> {
    const { robotId, source, ordinal, holder, now, leaseMs, adopt } = claim;
    const until = now + leaseMs;
    return this.#sql.transaction(async (tx) => {
      if (this.#sql.dialect.lock) await tx.get(this.#sql.dialect.lock, { name: `taskmem.episodes:${robotId}` });
      const held = await tx.get<ClaimRow>(
        'SELECT episode, holder, lease_until_ms FROM episodes WHERE robot_id = @robotId AND source = @source AND ordinal = @ordinal',
        { robotId, source, ordinal },
      );
      if (held) {
        const episode = Number(held.episode);
        if (held.holder !== holder && Number(held.lease_until_ms) > now && !isDeadHolder(held.holder)) {
          throw new EpisodeBusyError(
            `episode ${episode} of robot ${robotId} (${source}) is being written by ${describeHolder(held.holder)}, whose lease runs ` +
              `${Math.ceil((Number(held.lease_until_ms) - now) / 1000)} s more; wait for that run to end`,
          );
        }
        await tx.run('UPDATE episodes SET holder = @holder, lease_until_ms = @until WHERE robot_id = @robotId AND episode = @episode', {
          holder,
          until,
          robotId,
          episode,
        });
        return episode;
      }
      const episode = adopt !== undefined && !(await taken(tx, robotId, adopt)) ? adopt : (await highestEpisode(tx, robotId)) + 1;
      await tx.run(
        `INSERT INTO episodes (robot_id, episode, source, ordinal, holder, lease_until_ms)
         VALUES (@robotId, @episode, @source, @ordinal, @holder, @until)`,
        { robotId, episode, source, ordinal, holder, until },
      );
      return episode;
    });
  }

  renewEpisodes({ robotId, source, holder, now, leaseMs }: EpisodeLease): Promise<number> {
    return this.#sql.run(
      'UPDATE episodes SET lease_until_ms = @until WHERE robot_id = @robotId AND source = @source AND holder = @holder',
      {
        until: now + leaseMs,
        robotId,
        source,
        holder,
      },
    );
  }

  async releaseEpisodes({ robotId, source, holder }: Omit<EpisodeLease, 'now' | 'leaseMs'>): Promise<void> {
    await this.#sql.run('UPDATE episodes SET lease_until_ms = 0 WHERE robot_id = @robotId AND source = @source AND holder = @holder', {
      robotId,
      source,
      holder,
    });
  }

  async claimedEpisode(robotId: string, source: string, ordinal: number): Promise<number | null> {
    const row = await this.#sql.get<{ episode: SqlInteger }>(
      'SELECT episode FROM episodes WHERE robot_id = @robotId AND source = @source AND ordinal = @ordinal',
      { robotId, source, ordinal },
    );
    return row ? Number(row.episode) : null;
  }
}

/** Whether the robot's episode is claimed by any source. */
async function taken(tx: SqlExecutor, robotId: string, episode: number): Promise<boolean> {
  const row = await tx.get<{ n: SqlInteger }>('SELECT count(*) AS n FROM episodes WHERE robot_id = @robotId AND episode = @episode', {
    robotId,
    episode,
  });
  return Number(row!.n) > 0;
}

/** The highest episode of the robot: claimed, or in memories and failures written before episodes were claimed; -1 if none. */
export async function highestEpisode(sql: SqlExecutor, robotId: string): Promise<number> {
  const row = await sql.get<{ episode: SqlInteger | null }>(
    `SELECT max(e) AS episode FROM (SELECT max(episode) AS e FROM episodes WHERE robot_id = @robotId
     UNION ALL SELECT max(episode) AS e FROM memories WHERE robot_id = @robotId
     UNION ALL SELECT max(episode) AS e FROM failures WHERE robot_id = @robotId) AS episodes`,
    { robotId },
  );
  return row?.episode == null ? -1 : Number(row.episode);
}
