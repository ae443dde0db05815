import type { FullTextIndex } from './BoundedFullText.js';
import type { SqlConnection, SqlInteger } from './SqlConnection.js';
import type { SqlFilter } from './recallFilter.js';

/** The columns recallFilter reads, and the search column. */
const FILTERED_COLUMNS = 'seq, search, start_ns, end_ns, created_ns, robot_id, episode, task_group, pose_x, pose_y';

/**
 * PostgreSQL's full text: the generated `memories.search` tsvector (English stemming, memory text weighted above
 * the transcript, GIN index), ranked with ts_rank.
 */
export class TsvectorFullText implements FullTextIndex {
  readonly #sql: SqlConnection;

  constructor(sql: SqlConnection) {
    this.#sql = sql;
  }

  holdingAll(terms: string[]): SqlFilter {
    return { sql: "m.search @@ to_tsquery('english', @holdingAll)", params: { holdingAll: terms.join(' & ') } };
  }

  /**
   * The planner's estimates, from the column's statistics (pg_stats.most_common_elems, kept by autovacuum's
   * ANALYZE): counting in the GIN index reads a common word's whole posting list (about 100 ms for a word in half
   * of 10^6 memories), and a scan that stops at `above` matches reads the whole table for a rare one. Without
   * statistics the planner assumes 0.5% of the rows, which keeps every term rare below 600,000 memories. A term
   * the English configuration drops (its stop words hold a few that searchTerms keeps, such as "don") counts 0.
   */
  async counts(terms: string[]): Promise<number[]> {
    const lexemes = await this.#sql.all<{ nodes: number }>(
      "SELECT numnode(to_tsquery('english', term)) AS nodes FROM unnest(CAST(@terms AS text[])) WITH ORDINALITY AS t(term, i) ORDER BY i",
      { terms },
    );
    const counts: number[] = [];
    for (const [i, term] of terms.entries()) {
      if (lexemes[i]!.nodes === 0) {
        counts.push(0);
        continue;
      }
      const [explained] = await this.#sql.all<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM memories m WHERE m.search @@ to_tsquery('english', @term)",
        { term },
      );
      counts.push(explained!['QUERY PLAN'][0].Plan['Plan Rows']);
    }
    return counts;
  }

  /**
   * ts_rank over every term, of the memories holding a rare one, found in the GIN index first: the subquery
   * (kept apart by OFFSET 0) stops the planner from starting at a window's start-time index instead, which it
   * would as it cannot estimate the window's bound (a subquery); walking a day of 10^5 memories to test each
   * one's words took 90 ms where the rare words' few thousand took 13. Only the columns the filters read are
   * carried: with the text, twice the time.
   */
  async rankCandidates(rare: string[], common: string[], filter: SqlFilter, pool: number): Promise<number[]> {
    const rows = await this.#sql.all<{ seq: SqlInteger }>(
      `SELECT m.seq FROM (SELECT ${FILTERED_COLUMNS} FROM memories WHERE search @@ to_tsquery('english', @rare) OFFSET 0) m
       WHERE ${filter.sql} ORDER BY ts_rank(m.search, to_tsquery('english', @every)) DESC, m.seq DESC LIMIT @pool`,
      { ...filter.params, rare: rare.join(' | '), every: [...rare, ...common].join(' | '), pool },
    );
    return rows.map((row) => Number(row.seq));
  }

  /**
   * Newest by start time: along the start-time index backwards, a window's end first, the server stops at `pool`
   * matches, which come soon for common words (ordered by row number, it read a whole day forwards: 70 ms at 10^5
   * for 0.4); a few memories holding all of several words are found in the GIN index and sorted instead.
   */
  async newest(terms: string[], all: boolean, filter: SqlFilter, pool: number): Promise<number[]> {
    const rows = await this.#sql.all<{ seq: SqlInteger }>(
      `SELECT m.seq FROM memories m WHERE m.search @@ to_tsquery('english', @match) AND ${filter.sql}
       ORDER BY m.start_ns DESC, m.seq DESC LIMIT @pool`,
      { ...filter.params, match: terms.join(all ? ' & ' : ' | '), pool },
    );
    return rows.map((row) => Number(row.seq));
  }
}
