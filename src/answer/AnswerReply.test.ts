import assert from 'node:assert/strict';
import { parseAnswerReply } from './AnswerReply.js';

const CHOICES = ['in the kitchen', 'on the sofa', 'by the door', 'in the car'];

function chosen(reply: string) {
  const r = parseAnswerReply(reply, CHOICES);
  assert.equal(r.kind, 'answer', JSON.stringify(r));
  if (r.kind !== 'answer') throw new Error('unreachable');
  return { choice: r.choice, index: r.chosenIndex, abstained: r.abstained, answer: r.answer };
}

describe('parseAnswerReply', () => {
  it('takes the letter from the final answer, not from the first character or the thinking', () => {
    assert.deepEqual(
      chosen(
        '<think>A seems likely... no, memory 2 says sofa.</think>{"answer": "B", "abstained": false, "confidence": 0.8, "evidence": ["m2"]}',
      ),
      { choice: 'B', index: 1, abstained: false, answer: 'on the sofa' },
    );
    assert.equal(chosen('A careful reading gives {"answer": "(C)", "confidence": 0.6, "evidence": []}').choice, 'C');
    assert.equal(chosen('{"answer": "D. in the car", "confidence": 0.6, "evidence": []}').choice, 'D');
    assert.equal(chosen('{"answer": "The answer is B", "confidence": 0.6, "evidence": []}').choice, 'B');
    assert.equal(chosen('{"answer": "By the door", "confidence": 0.6, "evidence": []}').choice, 'C');
    // A draft JSON in the reasoning, then the final one: the last counts.
    assert.equal(
      chosen('Draft: {"answer": "A", "confidence": 0.2}. Final: {"answer": "C", "confidence": 0.7, "evidence": []}').choice,
      'C',
    );
    // No JSON at all: a stated final answer is still read.
    const plain = parseAnswerReply('Memory 3 says the keys were by the door.\nFinal answer: C', CHOICES);
    assert.equal(plain.kind === 'answer' && plain.choice, 'C');
    assert.equal(plain.kind === 'answer' && plain.confidence, null);
  });

  it('abstains on the abstain letter, on "abstained": true, and on "Insufficient information"', () => {
    assert.deepEqual(chosen('{"answer": "E", "abstained": true, "confidence": 0.1, "evidence": []}'), {
      choice: 'E',
      index: -1,
      abstained: true,
      answer: '',
    });
    assert.equal(chosen('{"answer": "E", "confidence": 0.3, "evidence": []}').abstained, true);
    const free = parseAnswerReply('{"answer": "Insufficient information.", "abstained": false, "confidence": 0.2, "evidence": []}', []);
    assert.equal(free.kind === 'answer' && free.abstained, true);
    const answered = parseAnswerReply('{"answer": "On the sofa", "abstained": false, "confidence": 0.9, "evidence": ["m1", 7]}', []);
    assert.deepEqual(answered.kind === 'answer' && [answered.answer, answered.evidence, answered.chosenIndex], [
      'On the sofa',
      ['m1', '7'],
      -1,
    ]);
  });

  it('reads a search request', () => {
    assert.deepEqual(
      parseAnswerReply('<think>not enough</think>{"search": {"text": "keys table", "since": "yesterday", "until": null}}', CHOICES),
      {
        kind: 'search',
        text: 'keys table',
        since: 'yesterday',
        until: null,
      },
    );
  });

  it('says why a reply cannot be used', () => {
    assert.match(
      (parseAnswerReply('{"answer": "a red cup", "confidence": 0.5}', CHOICES) as { reason: string }).reason,
      /names none of the options A, B, C, D or E/,
    );
    assert.match((parseAnswerReply('<think>thinking that never ends', CHOICES) as { reason: string }).reason, /empty/);
    assert.match((parseAnswerReply('I think it is on the sofa.', []) as { reason: string }).reason, /no answer JSON/);
    assert.equal(parseAnswerReply('{"answer": "B", "confidence": 7}', CHOICES).kind, 'invalid');
  });
});
