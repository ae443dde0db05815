import type { PairwiseJudge } from './PairwiseJudge.js';
import { judgeBothWays } from './PairwiseJudge.js';

/** A candidate memory that passed the quality gate, as the reward model sees it. */
export interface JudgedCandidate {
  text: string;
  descriptionTokens: number;
}

/** A consistent preference: candidate `winner` beat candidate `loser` both ways round. */
export interface Preference {
  winner: number;
  loser: number;
}

export interface Tournament {
  preferences: Preference[];
  judgeCalls: number;
  /** Index of the kept candidate: most consistent wins minus losses, first sampled on a tie. */
  best: number;
  /** Share of its comparisons the kept candidate won. */
  bestWinShare: number;
}

/**
 * Compares candidates pairwise, each pair both ways round, spending at most `maxCalls` judge calls (two per
 * pair). Pairs are visited so that every candidate is compared early (neighbours first, then wider gaps).
 */
export async function runTournament(
  candidates: JudgedCandidate[],
  judge: PairwiseJudge,
  examples: string[],
  maxCalls: number,
  signal?: AbortSignal,
): Promise<Tournament> {
  const pairs: [number, number][] = [];
  for (let gap = 1; gap < candidates.length; gap++) {
    for (let i = 0; i + gap < candidates.length; i++) pairs.push([i, i + gap]);
  }
  const preferences: Preference[] = [];
  const wins = new Array<number>(candidates.length).fill(0);
  const played = new Array<number>(candidates.length).fill(0);
  let judgeCalls = 0;
  for (const [a, b] of pairs) {
    if (judgeCalls + 2 > maxCalls) break;
    judgeCalls += 2;
    const verdict = await judgeBothWays(judge, candidates[a]!.text, candidates[b]!.text, examples, signal);
    played[a]!++;
    played[b]!++;
    if (verdict === null) continue;
    const [winner, loser] = verdict === 0 ? [a, b] : [b, a];
    preferences.push({ winner, loser });
    wins[winner]!++;
  }
  const net = candidates.map((_, i) => wins[i]! - preferences.filter((p) => p.loser === i).length);
  let best = 0;
  for (let i = 1; i < candidates.length; i++) if (net[i]! > net[best]!) best = i;
  return { preferences, judgeCalls, best, bestWinShare: played[best]! === 0 ? 0 : wins[best]! / played[best]! };
}

export type PairChoice = { chosen: number; rejected: number } | { skipped: 'cycle' | 'no-chain' | 'no-eligible-pair' };

/** Longest allowed difference in description tokens between chosen and rejected, so length is not what is learnt. */
export const MAX_TOKEN_GAP = 20;

/**
 * The paper's recipe for the one preference pair a segment contributes: the preferences must form no cycle;
 * along the longest chain of preferences, take the most separated pair whose lengths are within MAX_TOKEN_GAP
 * tokens. (The paper also wants the winner at least as correct as the loser, by a judge that sees the frames;
 * taskmem has no such judge, so that condition is not applied.)
 */
export function choosePair(candidates: JudgedCandidate[], preferences: Preference[]): PairChoice {
  const chain = longestChain(candidates.length, preferences);
  if (chain === 'cycle') return { skipped: 'cycle' };
  if (chain.length < 2) return { skipped: 'no-chain' };
  for (let gap = chain.length - 1; gap >= 1; gap--) {
    for (let i = 0; i + gap < chain.length; i++) {
      const chosen = candidates[chain[i]!]!;
      const rejected = candidates[chain[i + gap]!]!;
      if (Math.abs(chosen.descriptionTokens - rejected.descriptionTokens) <= MAX_TOKEN_GAP) {
        return { chosen: chain[i]!, rejected: chain[i + gap]! };
      }
    }
  }
  return { skipped: 'no-eligible-pair' };
}

/** Longest path in the preference graph (winner → loser), or 'cycle' when the preferences are not a DAG. */
function longestChain(count: number, preferences: Preference[]): number[] | 'cycle' {
  const out = Array.from({ length: count }, () => [] as number[]);
  const indegree = new Array<number>(count).fill(0);
  for (const { winner, loser } of preferences) {
    out[winner]!.push(loser);
    indegree[loser]!++;
  }
  const order: number[] = [];
  const ready = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  while (ready.length > 0) {
    const node = ready.shift()!;
    order.push(node);
    for (const next of out[node]!) if (--indegree[next]! === 0) ready.push(next);
  }
  if (order.length < count) return 'cycle';
  const length = new Array<number>(count).fill(1);
  const nextOf = new Array<number>(count).fill(-1);
  for (const node of [...order].reverse()) {
    for (const next of out[node]!) {
      if (length[next]! + 1 > length[node]!) {
        length[node] = length[next]! + 1;
        nextOf[node] = next;
      }
    }
  }
  let start = 0;
  for (let i = 1; i < count; i++) if (length[i]! > length[start]!) start = i;
  const chain = [start];
  while (nextOf[chain.at(-1)!]! !== -1) chain.push(nextOf[chain.at(-1)!]!);
  return chain;
}
