/**
 * Reciprocal rank fusion (Cormack et al., 2009): each retriever contributes 1 / (K + rank) for every item it
 * ranked (rank from 1). It needs no calibration between bm25 and cosine scores, which live on unrelated scales,
 * and an item found by both retrievers outranks one found by either alone at similar ranks.
 */
export const RRF_K = 60;

export interface Fused<Key> {
  key: Key;
  score: number;
  matchedBy: ('text' | 'vector')[];
}

/** Fuses best-first rankings into one, best first; ties keep the text ranking's order. */
export function fuseRankings<Key>(rankings: { by: 'text' | 'vector'; keys: Key[] }[]): Fused<Key>[] {
  const fused = new Map<Key, Fused<Key>>();
  for (const { by, keys } of rankings) {
    keys.forEach((key, index) => {
      const entry = fused.get(key) ?? { key, score: 0, matchedBy: [] };
      entry.score += 1 / (RRF_K + index + 1);
      entry.matchedBy.push(by);
      fused.set(key, entry);
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
