import { createHash } from 'node:crypto';
import type { BenchQuestion } from './datasets.js';

/** The paper's schedule: the examples of a type are updated after 10, 30 and 50 of its questions. */
export const PAPER_UPDATES = [10, 30, 50] as const;

export interface ExampleScheduleOptions {
  /** Questions of a type after which its examples are updated, ascending. */
  updates: readonly number[];
  /** Examples sampled per memory (focus.max_examples; the paper's 5). */
  maxExamples: number;
  /** Seeds the sampling, so that a run is reproducible. */
  seed: string;
}

/**
 * How many of a type's earliest questions the memory for its question number `index` (0-based, in arrival order)
 * may draw examples from: none before the first update, then all questions up to the last update passed.
 */
export function examplePool(index: number, updates: readonly number[]): number {
  let pool = 0;
  for (const update of updates) if (update <= index) pool = update;
  return pool;
}

/**
 * The examples each (memory key, type) is memorized with, by the TaskMem reference's schedule for its Phase Two
 * memories: one memory per key (a video, an EgoLife clip) and question type, conditioned on up to `maxExamples`
 * questions sampled from the type's earliest `examplePool` questions, as they stand at the first question of that
 * type that reads the key. Keys whose pool is still empty get no examples (an unfocused memory).
 */
export function scheduleExamples(
  questions: readonly BenchQuestion[],
  keysOf: (q: BenchQuestion) => string[],
  { updates, maxExamples, seed }: ExampleScheduleOptions,
): Map<string, Map<string, string[]>> {
  const byType = new Map<string, BenchQuestion[]>();
  for (const q of questions) byType.set(q.type, [...(byType.get(q.type) ?? []), q]);
  const plan = new Map<string, Map<string, string[]>>();
  for (const [type, list] of byType) {
    const ordered = [...list].sort((a, b) => a.order - b.order);
    ordered.forEach((q, index) => {
      for (const key of keysOf(q)) {
        const ofKey = plan.get(key) ?? new Map<string, string[]>();
        plan.set(key, ofKey);
        if (ofKey.has(type)) continue;
        const pool = ordered.slice(0, examplePool(index, updates)).map((p) => p.question);
        ofKey.set(type, sample(pool, Math.min(maxExamples, pool.length), `${seed}/${type}/${index}`));
      }
    });
  }
  return plan;
}

/** `n` distinct items drawn without replacement, by a generator seeded from `seed`. */
function sample<T>(items: readonly T[], n: number, seed: string): T[] {
  const pool = [...items];
  const random = generator(seed);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

/** mulberry32 seeded from a SHA-256 of the text: uniform in [0, 1). */
function generator(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
