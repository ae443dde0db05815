import { fts5Query } from '../searchTerms.js';
import { COMMON_TERM, type FullTextIndex } from './BoundedFullText.js';
import type { SqlFilter } from './recallFilter.js';
import type { Prepare, SqliteConnection } from './SqliteConnection.js';

/** bm25's weight of one occurrence of a term found in COMMON_TERM of 10^6 memories: ln(10^6 / 3000) ≈ 5.8. */
const COMMON_BONUS = Math.log(1_000_000 / COMMON_TERM);

/**
 * SQLite's full text: FTS5 over memory text and transcript (table `memories_fts`, Porter stemming, bm25 with the
 * text weighted above the transcript).
 */
export class Fts5FullText implements FullTextIndex {
  readonly #sql: SqliteConnection;

  constructor(sql: SqliteConnection) {
    this.#sql = sql;
  }

  holdingAll(terms: string[]): SqlFilter {
    return {
      sql: 'm.seq IN (SELECT rowid FROM memories_fts WHERE memories_fts MATCH @holdingAll)',
      params: { holdingAll: fts5Query(terms, 'AND') },
    };
  }

  /** Counted in the index, each term's rows read no further than `above` + 1. */
  counts(terms: string[], above: number): Promise<number[]> {
    return this.#sql.read((sql) => {
      const probe = sql('SELECT count(*) FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)').pluck();
      return terms.map((t) => Number(probe.get(fts5Query([t]), above + 1)));
    });
  }

  /**
   * bm25 over the rare terms (FTS5 weighs a term by scanning all its rows, so the common ones are left out of the
   * match); each common term a candidate holds then adds COMMON_BONUS, an upper bound of a common term's weight.
   */
  rankCandidates(rare: string[], common: string[], filter: SqlFilter, pool: number): Promise<number[]> {
    return this.#sql.read((sql) => {
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
      return [...score].sort((a, b) => b[1] - a[1]).map(([seq]) => seq);
    });
  }

  /**
   * With `selected`, the terms' rows are read within the selected rows' range only and kept when selected: the
   * same rows, without walking each word's rows back to the window.
   */
  newest(terms: string[], all: boolean, filter: SqlFilter, pool: number, selected: number[] | null): Promise<number[]> {
    const match = fts5Query(terms, all ? 'AND' : 'OR')!;
    return this.#sql.read((sql) =>
      selected
        ? newestAmong(sql, match, selected, pool)
        : (
            sql(
              `SELECT m.seq FROM memories_fts f JOIN memories m ON m.seq = f.rowid
                WHERE memories_fts MATCH @match AND ${filter.sql} ORDER BY f.rowid DESC LIMIT @pool`,
            )
              .pluck()
              .all({ ...filter.params, pool, match }) as bigint[]
          ).map(Number),
    );
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
