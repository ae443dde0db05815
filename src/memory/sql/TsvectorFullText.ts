import type { SqlConnection, SqlInteger } from './SqlConnection.js';
import type { FullTextSearch } from './FullTextSearch.js';
import type { SqlFilter } from './recallFilter.js';

/**
 * PostgreSQL's full text: the generated `memories.search` tsvector (English stemming, memory text weighted above
 * the transcript, GIN index), ranked with ts_rank.
 */
export class TsvectorFullText implements FullTextSearch {
  readonly #sql: SqlConnection;

  constructor(sql: SqlConnection) {
    this.#sql = sql;
  }

  holdingAll(terms: string[]): SqlFilter {
    return { sql: "m.search @@ to_tsquery('english', @holdingAll)", params: { holdingAll: terms.join(' & ') } };
  }

  async rank(terms: string[], filter: SqlFilter, pool: number): Promise<number[]> {
    const rows = await this.#sql.all<{ seq: SqlInteger }>(
      `SELECT m.seq FROM memories m, to_tsquery('english', @anyTerm) q WHERE m.search @@ q AND ${filter.sql}
       ORDER BY ts_rank(m.search, q) DESC, m.seq DESC LIMIT @pool`,
      { ...filter.params, anyTerm: terms.join(' | '), pool },
    );
    return rows.map((row) => Number(row.seq));
  }
}
