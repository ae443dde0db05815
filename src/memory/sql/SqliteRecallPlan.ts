import type { Logger } from '../../log.js';
import type { RecallQuery } from '../MemoryRecords.js';
import type { SqlFilter } from './recallFilter.js';
import type { RecallPlan } from './RecallPlan.js';
import type { Prepare, SqliteConnection } from './SqliteConnection.js';

/** A condition an index answers by a range, implied by a query's filters. */
interface IndexedBound extends SqlFilter {
  /** The index, for the log. */
  index: string;
  /** The memories as the bound reads them: through its index, named so that SQLite's planner counts within it. */
  from: string;
}

/**
 * The plan of a SQLite recall: when an indexed filter (the time window, the robot and episode, the place, the person) bounds
 * the matching memories to at most `filterFirstBelow` (FILTER_FIRST by default), the rows passing every filter, ascending; else null, and
 * the rankings run over every match with the filters applied to what they find. Counting stops at the bound, so a
 * broad filter costs at most that many index entries per indexed filter. SQLite's planner is told which index to
 * use (INDEXED BY): left to itself it would not count within one.
 */
export function sqliteRecallPlan({
  sql,
  filterFirstBelow,
  logger,
}: {
  sql: SqliteConnection;
  filterFirstBelow: number;
  logger: Logger;
}): RecallPlan {
  return async (query: RecallQuery, filter: SqlFilter): Promise<number[] | null> => {
    if (filterFirstBelow <= 0) return null;
    return sql.read((prepare) => {
      for (const bound of indexedBounds(query, prepare)) {
        const within = Number(
          prepare(`SELECT count(*) FROM (SELECT 1 FROM ${bound.from} WHERE ${bound.sql} LIMIT @cap)`)
            .pluck()
            .get({ ...bound.params, cap: filterFirstBelow + 1 }),
        );
        if (within > filterFirstBelow) continue;
        const rows = prepare(`SELECT m.seq FROM ${bound.from} WHERE ${bound.sql} AND ${filter.sql}`)
          .pluck()
          .all({ ...filter.params, ...bound.params }) as bigint[];
        logger.debug(`memory store: recall ranks the ${rows.length} memories selected by ${bound.index} (${within} in its range)`);
        return rows.map(Number).sort((a, b) => a - b);
      }
      return null;
    });
  };
}

/** Conditions implied by the query's filters that an index answers by a range, most selective kinds first. */
function indexedBounds(q: RecallQuery, prepare: Prepare): IndexedBound[] {
  const bounds: IndexedBound[] = [];
  if (q.since !== undefined || q.until !== undefined) {
    const clauses: string[] = [];
    const params: Record<string, bigint> = {};
    if (q.since !== undefined) {
      // A memory overlapping the window starts after `since` minus the longest span (read from memories_span).
      const longest = prepare('SELECT end_ns - start_ns FROM memories INDEXED BY memories_span ORDER BY end_ns - start_ns DESC LIMIT 1')
        .pluck()
        .get() as bigint | undefined;
      clauses.push('m.start_ns >= @windowFrom');
      params.windowFrom = q.since - (longest ?? 0n);
    }
    if (q.until !== undefined) {
      clauses.push('m.start_ns < @windowTo');
      params.windowTo = q.until;
    }
    bounds.push({ index: 'memories_start', from: 'memories m INDEXED BY memories_start', sql: clauses.join(' AND '), params });
  }
  if (q.robotId !== undefined) {
    let sql = 'm.robot_id = @robotId';
    if (q.episode !== undefined) sql += ' AND m.episode = @episode';
    if (q.episode !== undefined && q.since !== undefined) sql += ' AND m.end_ns > @since';
    bounds.push({
      index: 'memories_window',
      from: 'memories m INDEXED BY memories_window',
      sql,
      params: { robotId: q.robotId, episode: q.episode, since: q.since },
    });
  }
  if (q.near) {
    const { x, y, radius } = q.near;
    bounds.push({
      index: 'memories_place',
      from: 'memories m INDEXED BY memories_place',
      sql: 'm.pose_x BETWEEN @nearX - @radius AND @nearX + @radius AND m.pose_y BETWEEN @nearY - @radius AND @nearY + @radius',
      params: { nearX: x, nearY: y, radius },
    });
  }
  if (q.person !== undefined) {
    // The key of memory_people (person, seq) lists the person's memories; each is then read by its row number.
    bounds.push({
      index: 'memory_people',
      from: 'memories m',
      sql: 'm.seq IN (SELECT seq FROM memory_people WHERE person_id = @person)',
      params: { person: q.person },
    });
  }
  return bounds;
}
