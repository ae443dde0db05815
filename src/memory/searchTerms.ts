/**
 * Words of a question that are worth searching for: lower-cased letter/digit runs, without English stop words
 * and question words, deduplicated in order. "Where did I leave my keys?" → ["leave", "keys"]. Runs joined by
 * underscores stay one term, an identifier such as person_1 or dock_2: both full-text indexes split it into its
 * words, so it is searched as that phrase, never as a bare "1" matching every clock time in the memories.
 */
export function searchTerms(question: string): string[] {
  const words = question.toLowerCase().match(/[\p{L}\p{N}]+(?:_+[\p{L}\p{N}]+)*/gu) ?? [];
  return [...new Set(words.filter((w) => !STOP_WORDS.has(w)))];
}

/**
 * An FTS5 query matching any of the terms, or with `'AND'` every one of them (each quoted, so no word is read as
 * FTS5 syntax); null when none.
 */
export function fts5Query(terms: string[], operator: 'OR' | 'AND' = 'OR'): string | null {
  return terms.length === 0 ? null : terms.map((t) => `"${t}"`).join(` ${operator} `);
}

const STOP_WORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both
  but by can could did do does doing down during each few for from further had has have having he her here hers
  herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
  once only or other our ours ourselves out over own same she should so some such than that the their theirs
  them themselves then there these they this those through to too under until up very was we were what when
  where which while who whom why will with would you your yours yourself yourselves tell please saw see seen
  s t ll ve re d m`.split(/\s+/),
);
