import { fts5Query } from '../searchTerms.js';
import type { FullTextSearch } from './FullTextSearch.js';
import type { SqlFilter } from './recallFilter.js';
import type { Prepare, SqliteConnection } from './SqliteConnection.js';

/** A term in more memories than this is common: it does not select candidates for bm25 (see `rank`). */
const COMMON_TERM = 3_000;
/** bm25's weight of one occurrence of a term found in COMMON_TERM of 10^6 memories: ln(10^6 / 3000) ≈ 5.8. */
const COMMON_BONUS = Math.log(1_000_000 / COMMON_TERM);

/**
 * SQLite's full text: FTS5 over memory text and transcript (table `memories_fts`, Porter stemming, bm25 with the
 * text weighted above the transcript).
 */
export class Fts5FullText implements FullTextSearch {
  readonly #sql: SqliteConnection;

  constructor(sql: SqliteConnection) {
    this.#sql = sql;
  }

  holdingAll(terms: string[]): SqlFilter {
    return {
      sql: 'm.seq IN (SELECT rowid FROM memories_fts WHERE memories_fts MATCH @holdingAll)',
      params: { holdingAll: terms.map((t) => `"${t}"`).join(' AND ') },
    };
  }

  /**
   * Full-text ranking with bounded work. FTS5's bm25 scores every matching row and, to weigh each term, scans the
   * whole list of rows containing it; a word in half of 10^6 memories costs tens of milliseconds on its own.
   * So each term's document count is probed up to COMMON_TERM rows, and:
   * - terms in 1..COMMON_TERM memories (rare) select the candidates and are ranked by bm25; each common term found
   *   in a candidate then adds COMMON_BONUS, an upper bound of a common term's bm25 weight;
   * - when every term is common, memories holding all of them come first, then those holding any, newest first
   *   within each (recency is the useful order for "where is my mug").
   * When the filters are selective, `selected()` gives the rows passing them (ascending): the common words' rows
   * are then read within those rows' range only and kept when selected — the same rows, without walking each
   * word's rows back to the window. Rare terms need no such help: their few rows are ranked and filtered directly.
   */
  async rank(terms: string[], filter: SqlFilter, pool: number, selected: () => Promise<number[] | null>): Promise<number[]> {
    const { rare, common, ranked } = await this.#sql.read((sql) => {
      const probe = sql('SELECT count(*) FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)').pluck();
      const counts = terms.map((t) => Number(probe.get(fts5Query([t]), COMMON_TERM + 1)));
      const rare = terms.filter((_, i) => counts[i]! > 0 && counts[i]! <= COMMON_TERM);
      const common = terms.filter((_, i) => counts[i]! > COMMON_TERM);
      if (rare.length === 0) return { rare, common, ranked: [] };
      const ranked = sql(
        `SELECT m.seq, f.rank FROM memories_fts f JOIN memories m ON m.seq = f.rowid
          WHERE memories_fts MATCH @match AND ${filter.sql} ORDER BY f.rank, m.seq DESC LIMIT @pool`,
      )
        .raw()
        .all({ ...filter.params, pool, match: fts5Query(rare) }) as [bigint, number][];
      const score = new Map(ranked.map(([seq, rank]) => [Number(seq), -rank]));
      const candidates = JSON.stringify([...score.keys()]);
      for (const term of common) {
        const holding = sql('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))')
          .pluck()
          .all(fts5Query([term]), candidates) as bigint[];
        for (const seq of holding) score.set(Number(seq), score.get(Number(seq))! + COMMON_BONUS);
      }
      return { rare, common, ranked: [...score].sort((a, b) => b[1] - a[1]).map(([seq]) => seq) };
    });
    if (rare.length > 0 || common.length === 0) return ranked;
    const among = await selected();
    return this.#sql.read((sql) => {
      const newest = among
        ? (match: string) => newestAmong(sql, match, among, pool)
        : (match: string) =>
            (
              sql(
                `SELECT m.seq FROM memories_fts f JOIN memories m ON m.seq = f.rowid
                WHERE memories_fts MATCH @match AND ${filter.sql} ORDER BY f.rowid DESC LIMIT @pool`,
              )
                .pluck()
                .all({ ...filter.params, pool, match }) as bigint[]
            ).map(Number);
      const holdingAll = common.length > 1 ? newest(common.map((t) => `"${t}"`).join(' AND ')) : [];
      return [...new Set([...holdingAll, ...newest(fts5Query(common)!)])].slice(0, pool);
    });
  }
}

/** The newest `pool` of the `selected` rows (ascending) that match `match`. */
function newestAmong(sql: Prepare, match: string, selected: number[], pool: number): number[] {
  if (selected.length === 0) return [];
  const keep = new Set(selected);
  const found: number[] = [];
  const rows = sql('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC')
    .pluck()
    // As integers: bound as a JavaScript number (a double), the range is not used by FTS5 to seek.
    .iterate(match, BigInt(selected[0]!), BigInt(selected.at(-1)!)) as IterableIterator<bigint>;
  for (const seq of rows) {
    if (keep.has(Number(seq)) && found.push(Number(seq)) === pool) break;
  }
  return found;
}
