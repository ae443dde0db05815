import assert from 'node:assert/strict';
import { answerMetrics, formatProportion, wilson } from './metrics.js';

const near = (a: number, b: number, eps = 1e-4) => assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);

describe('answer metrics', () => {
  it('computes Coverage, Precision and Accuracy = Coverage × Precision', () => {
    // 10 questions: 2 abstained, 6 of the 8 answered correct.
    const graded = [
      ...Array.from({ length: 6 }, () => ({ abstained: false, correct: true })),
      ...Array.from({ length: 2 }, () => ({ abstained: false, correct: false })),
      ...Array.from({ length: 2 }, () => ({ abstained: true, correct: false })),
    ];
    const m = answerMetrics(graded);
    assert.deepEqual([m.questions, m.answered, m.correct], [10, 8, 6]);
    assert.equal(m.coverage.value, 0.8);
    assert.equal(m.precision.value, 0.75);
    assert.equal(m.accuracy.value, 0.6);
    near(m.accuracy.value, m.coverage.value * m.precision.value);
  });

  it('gives the 95% Wilson interval', () => {
    // Reference values (Wilson 1927; e.g. statsmodels proportion_confint(method="wilson")).
    const a = wilson(6, 10);
    near(a.low, 0.312673);
    near(a.high, 0.83182);
    const b = wilson(0, 20);
    assert.equal(b.low, 0);
    near(b.high, 0.161125);
    const c = wilson(50, 50);
    near(c.low, 0.928652);
    assert.equal(c.high, 1);
  });

  it('reports nothing measured rather than a fake number when nothing was answered', () => {
    const m = answerMetrics([{ abstained: true, correct: false }]);
    assert.equal(m.precision.value, null);
    assert.deepEqual([m.precision.low, m.precision.high], [0, 1]);
    assert.equal(m.accuracy.value, 0);
    assert.equal(formatProportion(m.precision), 'n/a (0 questions)');
    assert.equal(formatProportion(wilson(6, 10)), '60.0% [31.3, 83.2]');
  });

  it('refuses impossible inputs', () => {
    assert.throws(() => answerMetrics([{ abstained: true, correct: true }]), /abstention cannot be correct/);
    assert.throws(() => wilson(3, 2), /0 <= k <= n/);
  });
});
