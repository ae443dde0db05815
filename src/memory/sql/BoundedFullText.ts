import type { SqlFilter } from './recallFilter.js';

/** A term in more memories than this is common: it does not select the candidates to rank (see BoundedFullText). */
export const COMMON_TERM = 3_000;

/** What a backend's full-text index answers; BoundedFullText decides what to ask. Keys are memory row numbers (`seq`). */
export interface FullTextIndex {
  /** How many memories hold each term, exact or estimated, counted no further than `above` (anything more is common). */
  counts(terms: string[], above: number): Promise<number[]>;
  /**
   * Memories holding any of `rare` that pass `filter`, best first by the backend's relevance over every term
   * (the `common` ones weigh in but select nothing), at most `pool`.
   */
  rankCandidates(rare: string[], common: string[], filter: SqlFilter, pool: number): Promise<number[]>;
  /**
   * The newest `pool` memories holding all (`every`) or any of `terms` that pass `filter`: the latest start first,
   * or the latest stored where the index can walk only its rows in order (FTS5; the same order for memories stored
   * as they happen). When the filters' rows are known to be few, `selected` lists them (ascending `seq`).
   */
  newest(terms: string[], every: boolean, filter: SqlFilter, pool: number, selected: number[] | null): Promise<number[]>;
  /** A condition over `m` that holds when the memory holds every one of `terms`. */
  holdingAll(terms: string[]): SqlFilter;
}

/**
 * Full-text ranking whose work does not grow with the store. Ranking every memory that holds a question's words
 * reads each word's whole list of memories, and a word such as "robot" or "mug" is in half of them: at 10^6
 * memories that is tens of milliseconds per word in SQLite's FTS5 and most of a second in PostgreSQL. So:
 * - terms in at most COMMON_TERM memories (rare) select the candidates, ranked by the backend's relevance with the
 *   common terms weighing in;
 * - when every term is common, memories holding all of them come first, then those holding any, newest first
 *   within each (recency is the useful order for "where is my mug").
 */
export class BoundedFullText {
  readonly #index: FullTextIndex;

  constructor(index: FullTextIndex) {
    this.#index = index;
  }

  /**
   * Memories holding any of `terms` (see searchTerms) that pass `filter`, best first, at most `pool`. `selected`
   * gives the rows the filters select when an index shows they are few (see RecallPlan); it is called only when
   * every term is common.
   */
  async rank(terms: string[], filter: SqlFilter, pool: number, selected: () => Promise<number[] | null>): Promise<number[]> {
    const counts = await this.#index.counts(terms, COMMON_TERM);
    const rare = terms.filter((_, i) => counts[i]! > 0 && counts[i]! <= COMMON_TERM);
    const common = terms.filter((_, i) => counts[i]! > COMMON_TERM);
    if (rare.length > 0) return this.#index.rankCandidates(rare, common, filter, pool);
    if (common.length === 0) return [];
    const among = await selected();
    const holdingAll = common.length > 1 ? await this.#index.newest(common, true, filter, pool, among) : [];
    const holdingAny = await this.#index.newest(common, false, filter, pool, among);
    return [...new Set([...holdingAll, ...holdingAny])].slice(0, pool);
  }
}
