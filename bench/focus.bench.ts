/**
 * Task focus on a scripted world (see test/support/FocusWorld.ts): the share of task-relevant facts kept in
 * memory and the held-out QA accuracy with focus off and at depths 1, 2 and 3, side by side on the same world,
 * the recovery after the task kind changes, DPO training time for 1,000 pairs and ranking cost per segment.
 */
import { mean, recoverySegments, simulateFocus } from '../test/support/focusSimulation.js';
import { LexicalEmbedder } from '../src/focus/LexicalEmbedder.js';
import { trainFocusVector } from '../src/focus/FocusVector.js';
import { factsFor, factsOfKindIn, Random } from '../test/support/FocusWorld.js';

export default async function focusBench(): Promise<void> {
  const segmentsPerPhase = 150;
  const phases = ['colour', 'count', 'speech'] as const;
  console.log(
    `scripted world: ${phases.length} task phases (${phases.join(' → ')}) of ${segmentsPerPhase} segments, 10 facts per segment (2 per kind),`,
  );
  console.log(
    'stand-in policy: 4 candidates per segment, each mentioning 3 facts; stand-in judge: prefers more task facts, 15% random verdicts\n',
  );
  console.log('| focus | task facts kept | held-out QA accuracy | judge calls / segment | recovery after switch (segments) |');
  console.log('|---|---|---|---|---|');
  const rows = [];
  for (const depth of [0, 1, 2, 3]) {
    const result = await simulateFocus({ depth, phases: [...phases], segmentsPerPhase });
    const recoveries = phases.slice(1).map((_, i) => recoverySegments(result.relevantShare, (i + 1) * segmentsPerPhase));
    const kept = mean(result.relevantShare);
    const accuracy = mean(result.answered.map(Number));
    rows.push({ depth, kept, accuracy, result });
    const label = depth === 0 ? 'off' : `depth ${depth}`;
    const recovery = depth === 0 ? '—' : recoveries.map((r) => r ?? 'never').join(', ');
    console.log(
      `| ${label} | ${pct(kept)} | ${pct(accuracy)} | ${(result.judgeCalls / result.relevantShare.length).toFixed(1)} | ${recovery} |`,
    );
  }
  const off = rows[0]!;
  const deep = rows[3]!;
  console.log(
    `\ndepth 3 vs off: task facts kept ${pct(deep.kept)} vs ${pct(off.kept)} (×${(deep.kept / off.kept).toFixed(2)}), ` +
      `QA accuracy ${pct(deep.accuracy)} vs ${pct(off.accuracy)} (+${((deep.accuracy - off.accuracy) * 100).toFixed(1)} points); ` +
      `depth 3 ranked ${deep.result.rankedByVector} segments by focus vector after ${deep.result.trainings} trainings`,
  );
  console.log(
    `depth 3 ranking cost: ${(deep.result.rankingMs / Math.max(1, deep.result.rankedByVector)).toFixed(3)} ms per segment (embedding 4 candidates + scoring)`,
  );

  // DPO training time for 1,000 pairs on one core (training is single-threaded JavaScript).
  const random = new Random(11);
  const embedder = new LexicalEmbedder();
  const pairs = [];
  for (let i = 0; i < 1000; i++) {
    const facts = factsFor(random);
    const colour = facts.filter((f) => f.kind === 'colour').map((f) => f.clause);
    const other = facts.filter((f) => f.kind !== 'colour').map((f) => f.clause);
    const chosen = `${colour[0]}; ${other[0]}; ${colour[1]}.`;
    const rejected = `${other[1]}; ${other[2]}; ${other[3]}.`;
    if (factsOfKindIn(chosen, 'colour') <= factsOfKindIn(rejected, 'colour')) throw new Error('focus bench: bad pair');
    pairs.push({ chosen: embedder.embedOne(chosen), rejected: embedder.embedOne(rejected) });
  }
  const lexical = medianTraining(pairs);
  console.log(
    `DPO training, 1,000 pairs of ${embedder.dimensions}-d lexical embeddings (sparse), up to 200 full-batch epochs: median ${lexical.ms.toFixed(0)} ms over 5 runs ` +
      `(target ≤ 1000 ms; ratio ${(lexical.ms / 1000).toFixed(2)}), pair accuracy ${pct(lexical.pairAccuracy)}`,
  );
  // Dense embeddings, as an embedding model gives: chosen vectors lean along a hidden "task" direction.
  const direction = Float32Array.from({ length: 384 }, () => random.next() - 0.5);
  const dense = Array.from({ length: 1000 }, () => {
    const noise = () => Float32Array.from({ length: 384 }, () => random.next() - 0.5);
    const chosen = noise().map((x, k) => x + 0.3 * direction[k]!);
    return { chosen, rejected: noise() };
  });
  const denseRun = medianTraining(dense);
  console.log(
    `DPO training, 1,000 pairs of 384-d dense embeddings: median ${denseRun.ms.toFixed(0)} ms over 5 runs (target ≤ 1000 ms; ratio ${(denseRun.ms / 1000).toFixed(2)}), ` +
      `pair accuracy ${pct(denseRun.pairAccuracy)}`,
  );
}

function medianTraining(pairs: Parameters<typeof trainFocusVector>[0]): { ms: number; pairAccuracy: number } {
  const timings = [];
  let pairAccuracy = 0;
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    pairAccuracy = trainFocusVector(pairs).pairAccuracy;
    timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  return { ms: timings[2]!, pairAccuracy };
}
function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
