import type { RecallQuery } from '../MemoryRecords.js';
import type { SqlParams } from './SqlConnection.js';

/** A boolean SQL condition over `m` (the memories table) with the values of its parameters. */
export interface SqlFilter {
  /** 'TRUE' when nothing is filtered. */
  sql: string;
  params: SqlParams;
}

export const NO_FILTER = 'TRUE';

/**
 * The condition of a recall's filters, in SQL both dialects read alike. Given `longestSpan` (the longest memory's
 * end minus start), a window's `since` also bounds the start of the memory by `since` minus that span: implied by
 * the overlap, it lets a server's planner take the window as a bounded range of the start-time index rather than
 * every earlier memory (the SQLite store bounds windows itself, see SqliteRecallPlan). It is a value, not a
 * subquery, so that the planner can estimate how many memories the window holds: taking a day of 10^6 for a few
 * hundred, it walked the day to check 400 memories by row number (74 ms, where looking them up took 7).
 */
export function recallFilter(q: RecallQuery, { longestSpan }: { longestSpan?: bigint } = {}): SqlFilter {
  const clauses: string[] = [];
  const params: Record<string, SqlParams[string]> = {};
  const add = (sql: string, values: SqlParams) => {
    clauses.push(sql);
    Object.assign(params, values);
  };
  if (q.since !== undefined) add('m.end_ns > @since', { since: q.since });
  if (q.since !== undefined && longestSpan !== undefined) add('m.start_ns >= @startsFrom', { startsFrom: q.since - longestSpan });
  if (q.until !== undefined) add('m.start_ns < @until', { until: q.until });
  if (q.asOf !== undefined) add('m.created_ns <= @asOf', { asOf: q.asOf });
  if (q.robotId !== undefined) add('m.robot_id = @robotId', { robotId: q.robotId });
  if (q.episode !== undefined) add('m.episode = @episode', { episode: q.episode });
  if (q.taskGroup !== undefined) add('m.task_group = @taskGroup', { taskGroup: q.taskGroup });
  if (q.person !== undefined) add('m.seq IN (SELECT seq FROM memory_people WHERE person_id = @person)', { person: q.person });
  if (q.near) {
    const { x, y, radius } = q.near;
    const [nx, ny, r] = ['@nearX', '@nearY', '@radius'].map((p) => `CAST(${p} AS DOUBLE PRECISION)`);
    add(
      `m.pose_x BETWEEN ${nx} - ${r} AND ${nx} + ${r} AND m.pose_y BETWEEN ${ny} - ${r} AND ${ny} + ${r}
       AND (m.pose_x - ${nx}) * (m.pose_x - ${nx}) + (m.pose_y - ${ny}) * (m.pose_y - ${ny}) <= ${r} * ${r}`,
      { nearX: x, nearY: y, radius },
    );
  }
  return { sql: clauses.length === 0 ? NO_FILTER : clauses.join(' AND '), params };
}
