import assert from 'node:assert/strict';
import { fts5Query, searchTerms } from './searchTerms.js';
import { fuseRankings, RRF_K } from './fuseRankings.js';

describe('searchTerms and fts5Query', function () {
  it('keeps the content words of a question, once each, and quotes them for FTS5', () => {
    assert.deepEqual(searchTerms('Where did I leave my KEYS? keys, NEAR "the" café*'), ['leave', 'keys', 'near', 'café']);
    assert.equal(fts5Query(['leave', 'near']), '"leave" OR "near"');
    assert.equal(fts5Query(searchTerms('what did you see?')), null);
    // An identifier stays one term: FTS5 and PostgreSQL both search it as the phrase of its parts.
    assert.deepEqual(searchTerms('When did I last see person_1 near dock__2_b?'), ['last', 'person_1', 'near', 'dock__2_b']);
    assert.equal(fts5Query(['person_1']), '"person_1"');
  });
});

describe('fuseRankings', function () {
  it('puts what both rankings found first and scores by reciprocal rank', () => {
    const fused = fuseRankings([
      { by: 'text', keys: ['a', 'b', 'c'] },
      { by: 'vector', keys: ['c', 'd'] },
    ]);
    assert.deepEqual(
      fused.map((f) => f.key),
      ['c', 'a', 'b', 'd'],
    );
    assert.deepEqual(fused[0]!.matchedBy, ['text', 'vector']);
    assert.equal(fused[1]!.score, 1 / (RRF_K + 1));
  });
});
