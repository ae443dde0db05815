import type { SqlFilter } from './recallFilter.js';

/** Full-text search as one SQL backend does it (SQLite FTS5, PostgreSQL tsvector). Keys are memory row numbers (`seq`). */
export interface FullTextSearch {
  /**
   * Memories holding any of `terms` (see searchTerms) that pass `filter`, best first, at most `pool`. `selected`
   * gives the rows the filters select when an index shows they are few (see RecallPlan); a ranking that has no
   * use for them does not call it.
   */
  rank(terms: string[], filter: SqlFilter, pool: number, selected: () => Promise<number[] | null>): Promise<number[]>;
  /** A condition over `m` that holds when the memory holds every one of `terms` (for `forget`). */
  holdingAll(terms: string[]): SqlFilter;
}
