import { binaryCode, type BinaryVectorIndex } from './BinaryVectorIndex.js';
import { cosineSimilarity, rerankPool } from './embedding.js';

export interface VectorSource {
  index: BinaryVectorIndex;
  /** The keys among `candidates` whose memories pass the query's filters; null when the query has none. */
  passing: ((candidates: number[]) => Promise<Set<number>>) | null;
  /** Exact vectors of the given keys (keys no longer stored are simply absent). */
  vectors(keys: number[]): Promise<Map<number, Float32Array>>;
}

/** Hamming shortlist size per exactly re-ranked vector. */
const SHORTLIST = 16;

/**
 * Best `count` keys by cosine similarity to `query`, approximately, in three passes: Hamming distance over all
 * binary codes picks a shortlist (SHORTLIST × the re-rank pool), the float query against the shortlist's sign
 * bits orders it, filters are checked, and the best survivors are re-ranked by exact cosine on stored vectors.
 * When filters reject most candidates the shortlist is widened (×8) until enough survive or every code has been
 * considered, so a selective filter costs time, never results. A true neighbour is missed only when its code
 * falls outside the shortlist or the re-rank pool (measured as recall@10 in bench/store.bench.ts).
 */
export async function approximateVectorRanking(source: VectorSource, query: Float32Array, count: number): Promise<number[]> {
  const { index } = source;
  if (index.size === 0) return [];
  const code = binaryCode(query);
  const wanted = rerankPool(count);
  let candidates: number[];
  // Whether a key passes the filters, once asked: a widened shortlist begins with the keys already checked.
  const passes = new Map<number, boolean>();
  let passed = 0;
  for (let scan = wanted * SHORTLIST; ; scan *= 8) {
    const shortlist = index.orderBySigns(query, index.nearest(code, scan));
    if (source.passing) {
      // Filters are checked best first, a slice at a time, until enough candidates pass. The first slice is
      // 2 × wanted; later ones are sized by the share that passed so far, so that a window holding a few percent
      // of the memories takes a few queries rather than dozens.
      candidates = [];
      for (let from = 0; from < shortlist.length && candidates.length < wanted;) {
        const share = passes.size === 0 ? 1 : Math.max(passed, 1) / passes.size;
        const size = Math.min(MAX_SLICE, Math.max(2 * wanted, Math.ceil((1.25 * (wanted - candidates.length)) / share)));
        // The next `size` keys not yet checked, and the known ones among them, in shortlist order.
        const ask: number[] = [];
        let until = from;
        for (; until < shortlist.length && ask.length < size; until++) if (!passes.has(shortlist[until]!)) ask.push(shortlist[until]!);
        if (ask.length > 0) {
          const ok = await source.passing(ask);
          for (const key of ask) passes.set(key, ok.has(key));
          passed += ok.size;
        }
        for (let k = from; k < until; k++) if (passes.get(shortlist[k]!)) candidates.push(shortlist[k]!);
        from = until;
      }
    } else candidates = shortlist;
    if (candidates.length >= wanted || scan >= index.size) break;
  }
  return exactRanking(query, await source.vectors(candidates.slice(0, wanted)), count);
}

/** The most keys one filter check asks about. */
const MAX_SLICE = 10_000;

/** Among this many keys or fewer, vectorRankingAmong compares every stored vector exactly. */
export const EXACT_AMONG = 1_000;

/**
 * Best `count` of `keys` (the memories a query's filters selected) by cosine similarity to `query`, for a
 * selective filter: no Hamming pass over every code. Up to EXACT_AMONG keys are compared exactly (the result is
 * exact); more are ordered by the float query against their sign bits and the best EXACT_AMONG re-ranked exactly.
 * Keys without a vector are skipped.
 */
export async function vectorRankingAmong(
  source: { index: () => BinaryVectorIndex | Promise<BinaryVectorIndex>; vectors: VectorSource['vectors'] },
  query: Float32Array,
  count: number,
  keys: number[],
): Promise<number[]> {
  let pool = keys;
  if (keys.length > EXACT_AMONG) {
    // Only then are the codes needed: a small window never loads them (seconds at 10^6).
    const index = await source.index();
    pool = index
      .orderBySigns(
        query,
        keys.filter((key) => index.has(key)),
      )
      .slice(0, EXACT_AMONG);
  }
  return exactRanking(query, await source.vectors(pool), count);
}

function exactRanking(query: Float32Array, vectors: Map<number, Float32Array>, count: number): number[] {
  return [...vectors]
    .map(([key, vector]) => ({ key, similarity: cosineSimilarity(query, vector) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, count)
    .map((r) => r.key);
}
