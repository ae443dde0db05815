import type { RecallQuery } from '../MemoryRecords.js';
import type { SqlFilter } from './recallFilter.js';
import type { SqlConnection, SqlInteger } from './SqlConnection.js';

/**
 * The rows (ascending `seq`) that pass a recall's filters when an index shows they are few enough to rank alone,
 * else null: every match is ranked and the filters applied to what is found.
 */
export type RecallPlan = (query: RecallQuery, filter: SqlFilter) => Promise<number[] | null>;

/**
 * Filters that an index bounds to at most this many memories are applied before ranking. Selecting a day of 10-s
 * memories (8,640) takes about 2.5 ms at 10^6; ranking every match of common words and filtering afterwards took
 * about 100 ms for full text and 2–3 s for vectors (the shortlist widened until enough passed).
 */
export const FILTER_FIRST = 20_000;

/**
 * The plan on a server that chooses its own indexes (PostgreSQL): when a filter an index can bound is given (time
 * window, robot, place, person), the filtered memories are counted up to FILTER_FIRST and, if no more, selected.
 */
export function serverRecallPlan(sql: SqlConnection): RecallPlan {
  return async (query, filter) => {
    if (
      query.since === undefined &&
      query.until === undefined &&
      query.robotId === undefined &&
      !query.near &&
      query.person === undefined
    ) {
      return null;
    }
    const counted = await sql.get<{ n: SqlInteger }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM memories m WHERE ${filter.sql} LIMIT ${FILTER_FIRST + 1}) AS bounded`,
      filter.params,
    );
    if (Number(counted!.n) > FILTER_FIRST) return null;
    const rows = await sql.all<{ seq: SqlInteger }>(`SELECT m.seq FROM memories m WHERE ${filter.sql}`, filter.params);
    return rows.map((row) => Number(row.seq)).sort((a, b) => a - b);
  };
}
