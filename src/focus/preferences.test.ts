import { strict as assert } from 'node:assert';
import { choosePair, runTournament, type JudgedCandidate } from './preferences.js';
import type { PairwiseJudge, Verdict } from './PairwiseJudge.js';

const candidate = (text: string, descriptionTokens = 30): JudgedCandidate => ({ text, descriptionTokens });

/** A judge with a fixed ranking of texts, optionally biased to always answer "first" for one text pair. */
function rankingJudge(order: string[]): PairwiseJudge & { calls: number } {
  return {
    calls: 0,
    async compare(first: string, second: string): Promise<Verdict> {
      this.calls++;
      const a = order.indexOf(first);
      const b = order.indexOf(second);
      return a === b ? 'tie' : a < b ? 'first' : 'second';
    },
  };
}

describe('preference pairs', () => {
  it('keeps the candidate the judge prefers both ways round', async () => {
    const candidates = [candidate('c'), candidate('a'), candidate('b')];
    const judge = rankingJudge(['a', 'b', 'c']);
    const result = await runTournament(candidates, judge, ['q'], 12);
    assert.equal(candidates[result.best]!.text, 'a');
    assert.equal(result.judgeCalls, 6);
    assert.equal(judge.calls, 6);
    assert.equal(result.bestWinShare, 1);
  });

  it('ignores a judge that always prefers the first position', async () => {
    const biased: PairwiseJudge = { compare: async () => 'first' };
    const result = await runTournament([candidate('x'), candidate('y'), candidate('z')], biased, [], 12);
    assert.deepEqual(result.preferences, []);
  });

  it('stays within the judge-call budget', async () => {
    const judge = rankingJudge(['a', 'b', 'c', 'd']);
    const result = await runTournament(
      ['d', 'c', 'b', 'a'].map((t) => candidate(t)),
      judge,
      [],
      5,
    );
    assert.equal(result.judgeCalls, 4);
    assert.equal(judge.calls, 4);
  });

  it('takes the most separated pair along the longest chain', () => {
    const candidates = [candidate('a'), candidate('b'), candidate('c')];
    const pair = choosePair(candidates, [
      { winner: 0, loser: 1 },
      { winner: 1, loser: 2 },
      { winner: 0, loser: 2 },
    ]);
    assert.deepEqual(pair, { chosen: 0, rejected: 2 });
  });

  it('skips a segment whose preferences contain a cycle', () => {
    const candidates = [candidate('a'), candidate('b'), candidate('c')];
    const pair = choosePair(candidates, [
      { winner: 0, loser: 1 },
      { winner: 1, loser: 2 },
      { winner: 2, loser: 0 },
    ]);
    assert.deepEqual(pair, { skipped: 'cycle' });
  });

  it('refuses pairs whose lengths differ by more than 20 tokens', () => {
    const longWinner = [candidate('a', 80), candidate('b', 30)];
    assert.deepEqual(choosePair(longWinner, [{ winner: 0, loser: 1 }]), { skipped: 'no-eligible-pair' });
    const chain = [candidate('a', 30), candidate('b', 45), candidate('c', 60)];
    assert.deepEqual(
      choosePair(chain, [
        { winner: 0, loser: 1 },
        { winner: 1, loser: 2 },
      ]),
      { chosen: 0, rejected: 1 },
    );
  });
});
