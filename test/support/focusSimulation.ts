import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import { FocusedMemorizer } from '../../src/focus/FocusedMemorizer.js';
import { LexicalEmbedder } from '../../src/focus/LexicalEmbedder.js';
import { TaskFocus } from '../../src/focus/TaskFocus.js';
import { TaskLog } from '../../src/focus/TaskLog.js';
import { FixedGrouper } from '../../src/focus/TaskGrouper.js';
import { silentLogger } from '../../src/log.js';
import { factsOfKindIn, Random, SimulatedJudge, SimulatedPolicy, taskQuestion, worldSegment, type FactKind } from './FocusWorld.js';

export interface FocusSimulationOptions {
  depth: number;
  /** Task kinds in order; each lasts `segmentsPerPhase` segments. */
  phases: FactKind[];
  segmentsPerPhase: number;
  /** A task question arrives every this many segments. */
  taskEvery?: number;
  seed?: number;
  candidates?: number;
  judgeNoise?: number;
  conditioningWeight?: number;
}

export interface FocusSimulationResult {
  /** Per segment: share of the segment's facts of the current task kind that the kept memory mentions. */
  relevantShare: number[];
  /** Per segment: whether a held-out question about a task-kind fact is answerable from the memory. */
  answered: boolean[];
  judgeCalls: number;
  rankedByVector: number;
  trainings: number;
  rankingMs: number;
  pairsKept: number;
}

/**
 * Runs the real focus code (task log, task focus, focused memorizer, preference pairs, DPO training, a real
 * SQLite store) over the scripted world with the stand-in policy and judge.
 */
export async function simulateFocus(options: FocusSimulationOptions): Promise<FocusSimulationResult> {
  const { depth, phases, segmentsPerPhase, taskEvery = 2, seed = 7, candidates = 4, judgeNoise = 0.15, conditioningWeight = 2 } = options;
  const dir = mkdtempSync(join(tmpdir(), 'taskmem-focus-'));
  const store = new SqliteMemoryStore({ path: join(dir, 'memory.sqlite') });
  try {
    const worldRandom = new Random(seed);
    const questionRandom = new Random(seed + 1);
    const policy = new SimulatedPolicy({ random: new Random(seed + 2), budget: 3, conditioningWeight });
    const judge = new SimulatedJudge(new Random(seed + 3), judgeNoise);
    const taskFocus = new TaskFocus({
      taskLog: new TaskLog({ store, robotId: 'sim', grouper: new FixedGrouper(), switchAfter: 3 }),
      depth,
      maxExamples: 5,
      adapters: [],
    });
    await taskFocus.start();
    const memorizer = new FocusedMemorizer({
      source: policy,
      store,
      judge,
      embedder: new LexicalEmbedder(),
      candidates,
      maxJudgeCalls: 12,
      now: () => 0n,
      logger: silentLogger,
    });
    const result: FocusSimulationResult = {
      relevantShare: [],
      answered: [],
      judgeCalls: 0,
      rankedByVector: 0,
      trainings: 0,
      rankingMs: 0,
      pairsKept: 0,
    };
    for (let index = 0; index < phases.length * segmentsPerPhase; index++) {
      const kind = phases[Math.floor(index / segmentsPerPhase)]!;
      const world = worldSegment(index, worldRandom);
      if (index % taskEvery === 0) {
        await taskFocus.note({ text: taskQuestion(kind, questionRandom), stamp: world.segment.start, group: kind });
      }
      policy.show(world);
      const outcome = await memorizer.memorize(world.segment, { window: [], focus: taskFocus.context() });
      if (outcome.kind !== 'memory') throw new Error(`simulation: segment ${index} failed: ${outcome.failure.reason}`);
      await store.put(outcome.memory);
      const text = outcome.memory.text.toLowerCase();
      const relevant = world.facts.filter((f) => f.kind === kind);
      result.relevantShare.push(factsOfKindIn(outcome.memory.text, kind) / relevant.length);
      const heldOut = relevant[Math.floor(questionRandom.next() * relevant.length)]!;
      result.answered.push(text.includes(heldOut.answer.toLowerCase()));
    }
    Object.assign(result, {
      judgeCalls: judge.calls,
      rankedByVector: memorizer.stats.rankedByVector,
      trainings: memorizer.stats.trainings,
      rankingMs: memorizer.stats.rankingMs,
      pairsKept: memorizer.stats.pairsKept,
    });
    return result;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Segments after a task switch until the rolling mean (window 10) of the relevant-fact share is back to 90% of
 * its level over the last 50 segments before the switch; null if it never is.
 */
export function recoverySegments(shares: number[], switchAt: number): number | null {
  const plateau = mean(shares.slice(Math.max(0, switchAt - 50), switchAt));
  for (let i = switchAt + 10; i <= shares.length; i++) {
    if (mean(shares.slice(i - 10, i)) >= 0.9 * plateau) return i - switchAt;
  }
  return null;
}
