import { strict as assert } from 'node:assert';
import type { BenchQuestion } from './datasets.js';
import { examplePool, PAPER_UPDATES, scheduleExamples } from './exampleSchedule.js';

/** The i-th question of a type arrives in video `v<i>`; `video` overrides that. */
function questions(type: string, count: number, video?: (i: number) => string): BenchQuestion[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${type}${i}`,
    videoId: video ? video(i) : `v${i}`,
    type,
    question: `${type} question ${i}`,
    options: [],
    answer: 'x',
    arrivesAt: null,
    askedOn: null,
    order: i,
    clips: null,
  }));
}

const schedule = { updates: PAPER_UPDATES, maxExamples: 5, seed: 'test' };

describe("the paper's example schedule", () => {
  it('gives no examples before the 10th question of a type, then draws from the first 10, 30, 50', () => {
    assert.deepEqual(
      [0, 9, 10, 29, 30, 49, 50, 400].map((i) => examplePool(i, PAPER_UPDATES)),
      [0, 0, 10, 10, 30, 30, 50, 50],
    );
  });

  it('conditions each video and type on at most 5 earlier questions of that type, sampled from the pool by arrival', () => {
    const counting = questions('counting', 60);
    const plan = scheduleExamples(counting, (q) => [q.videoId], schedule);
    const examplesOf = (i: number) => plan.get(`v${i}`)!.get('counting')!;
    for (let i = 0; i < 10; i++) assert.deepEqual(examplesOf(i), [], `question ${i + 1} gets none`);
    for (const [from, to, pool] of [
      [10, 30, 10],
      [30, 50, 30],
      [50, 60, 50],
    ] as const) {
      for (let i = from; i < to; i++) {
        const examples = examplesOf(i);
        assert.equal(examples.length, 5);
        assert.equal(new Set(examples).size, 5, 'sampled without repeats');
        for (const e of examples) {
          const index = Number(/question (\d+)/.exec(e)![1]);
          assert.ok(index < pool && index < i, `question ${i}: example ${index} is among the first ${pool}, asked before it`);
        }
      }
    }
    // The same seed gives the same run; another seed another sample.
    assert.deepEqual(
      scheduleExamples(counting, (q) => [q.videoId], schedule),
      plan,
    );
    assert.notDeepEqual(scheduleExamples(counting, (q) => [q.videoId], { ...schedule, seed: 'other' }).get('v20'), plan.get('v20'));
  });

  it('keeps types apart and fixes a video’s examples at its first question of the type', () => {
    const counting = questions('counting', 12, (i) => (i < 11 ? `v${i}` : 'v0'));
    const recognition = questions('recognition', 3, () => 'v0');
    const plan = scheduleExamples([...counting, ...recognition], (q) => [q.videoId], schedule);
    assert.deepEqual(plan.get('v0')!.get('counting'), [], 'v0 was first asked about counting as question 1');
    assert.deepEqual(plan.get('v0')!.get('recognition'), []);
    assert.ok(
      plan
        .get('v10')!
        .get('counting')!
        .every((e) => e.startsWith('counting')),
    );
  });

  it('draws fewer when the type has fewer questions than examples', () => {
    const plan = scheduleExamples(questions('rare', 12), (q) => [q.videoId], { ...schedule, updates: [2] });
    assert.deepEqual(plan.get('v2')!.get('rare')!.sort(), ['rare question 0', 'rare question 1']);
  });
});
