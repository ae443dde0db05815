/**
 * The paper's answer metrics over a set of graded questions: Coverage = answered / all, Precision = correct /
 * answered, Accuracy = correct / all = Coverage × Precision. Each comes with a 95% Wilson score interval, which
 * stays inside [0, 1] and behaves at small counts and at 0 % or 100 %, where the normal approximation does not.
 */

/** One question's outcome: abstained, or answered and marked correct or not (by letter, or by a judge). */
export interface GradedAnswer {
  abstained: boolean;
  correct: boolean;
}

export interface Proportion {
  /** Successes and trials. */
  k: number;
  n: number;
  /** k / n; null when n is 0 (nothing to measure). */
  value: number | null;
  /** 95% Wilson interval; [0, 1] when n is 0. */
  low: number;
  high: number;
}

export interface AnswerMetrics {
  questions: number;
  answered: number;
  correct: number;
  accuracy: Proportion;
  coverage: Proportion;
  precision: Proportion;
}

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

export function wilson(k: number, n: number, z = Z95): Proportion {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n)
    throw new RangeError(`wilson: need integers 0 <= k <= n, got k=${k}, n=${n}`);
  if (n === 0) return { k, n, value: null, low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamp only float noise: the interval contains p by construction.
  return { k, n, value: p, low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) };
}

export function answerMetrics(graded: readonly GradedAnswer[]): AnswerMetrics {
  if (graded.some((g) => g.abstained && g.correct)) throw new RangeError('answerMetrics: an abstention cannot be correct');
  const questions = graded.length;
  const answered = graded.filter((g) => !g.abstained).length;
  const correct = graded.filter((g) => !g.abstained && g.correct).length;
  return {
    questions,
    answered,
    correct,
    accuracy: wilson(correct, questions),
    coverage: wilson(answered, questions),
    precision: wilson(correct, answered),
  };
}

/** "67.9% [63.1, 72.4]": a proportion as the paper's tables print it, with its interval. */
export function formatProportion(p: Proportion): string {
  if (p.value === null) return 'n/a (0 questions)';
  const pct = (x: number) => (100 * x).toFixed(1);
  return `${pct(p.value)}% [${pct(p.low)}, ${pct(p.high)}]`;
}
