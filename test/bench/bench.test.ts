import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/commands/bench.js';
import { readRun } from '../../src/bench/results.js';
import { StandInModelServer } from '../support/StandInModelServer.js';
import { makeSceneVideo, sceneModel, standInFlags, withErrors, writeQuestions } from '../support/benchDataset.js';

describe('taskmem bench (streaming protocol, end to end)', function () {
  this.timeout(180_000);
  let dir: string;
  let server: StandInModelServer;
  let qa: string;
  const colours = ['red', 'yellow', 'blue'];
  const options = ['red', 'yellow', 'blue', 'green'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-bench-'));
    await makeSceneVideo(join(dir, 'v1.mp4'), colours, { withAudio: true });
    await makeSceneVideo(join(dir, 'v2.mp4'), ['green', 'white']);
    qa = await writeQuestions(dir, [
      { id: 'early', video: 'v1', type: 'colour', question: 'Which colour has the robot seen?', options, answer: 'A', at: 5 },
      { id: 'mid', video: 'v1', type: 'colour', question: 'Which colour did the robot see last?', options, answer: 'B', at: 25 },
      { id: 'end', video: 'v1', type: 'colour', question: 'Which colour did the robot see last?', options, answer: 'C', at: null },
      { id: 'first', video: 'v2', type: 'colour', question: 'Which colour did the robot see first?', options, answer: 'D', at: null },
      { id: 'free', video: 'v2', type: 'recall', question: 'What colour did the robot see last?', options: [], answer: 'white', at: null },
    ]);
    server = await new StandInModelServer().start();
    server.onChat = sceneModel;
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const args = (out: string, name: string) => [
    'jsonl',
    '--protocol',
    'robot',
    '--videos',
    dir,
    '--qa',
    qa,
    '--out',
    out,
    '--name',
    name,
    ...standInFlags(server.url),
    '--focus.depth',
    '1',
  ];

  it('answers each question from the memories written before it arrived, and scores as the paper does', async () => {
    const out = join(dir, 'run-a');
    assert.equal(await run(args(out, 'stand-in')), 0);
    const { results, done } = await readRun(out);
    assert.deepEqual([...done.keys()].sort(), ['v1', 'v2']);
    const byId = new Map(results.map((r) => [r.questionId, r]));
    assert.equal(byId.get('early')!.abstained, true, 'nothing was memorized 5 s in: the answerer must abstain');
    assert.equal(byId.get('early')!.memoriesAvailable, 0);
    assert.deepEqual(
      [byId.get('mid')!.predicted, byId.get('mid')!.correct],
      ['B', true],
      'at 25 s the last memory is the yellow scene, not the blue one',
    );
    assert.deepEqual([byId.get('end')!.predicted, byId.get('end')!.correct], ['C', true]);
    assert.equal(byId.get('end')!.memoriesAvailable, 3);
    assert.equal(byId.get('first')!.correct, true);
    assert.equal(byId.get('free')!.correct, true);
    const table = readFileSync(join(out, 'results.md'), 'utf8');
    // 4 of 5 correct, 4 answered: Accuracy 80.0 / Coverage 80.0 / Precision 100.0.
    assert.match(table, /\| stand-in \| robot \(retrieval, not the paper's\) \| 80\.0 \/ 80\.0 \/ 100\.0 \(5\) \|/);
    assert.match(readFileSync(join(out, 'chart.svg'), 'utf8'), /<svg[^>]*>[\s\S]*stand-in[\s\S]*<\/svg>/);
  });

  it('resumes without redoing finished videos, and compares runs side by side', async () => {
    const out = join(dir, 'run-a');
    const requestsBefore = server.requests.length;
    assert.equal(await run(args(out, 'stand-in')), 0);
    assert.equal(server.requests.length, requestsBefore, 'no model call for finished videos');
    assert.equal((await readRun(out)).results.length, 5, 'nothing appended twice');

    const lines: string[] = [];
    const original = console.log;
    console.log = (text: string) => lines.push(text);
    try {
      assert.equal(await run(['compare', out, out]), 0);
    } finally {
      console.log = original;
    }
    assert.equal(lines.join('\n').match(/\| stand-in \| robot \(retrieval, not the paper's\) \| 80\.0/g)?.length, 2);
    assert.equal(await run(['compare', join(dir, 'nothing-here')]), 2);
  });

  it('gives the same results when the videos are streamed at once (each video keeps its own clock)', async () => {
    const out = join(dir, 'run-parallel');
    assert.equal(await run([...args(out, 'parallel'), '--concurrency', '2']), 0);
    const sequential = new Map(
      (await readRun(join(dir, 'run-a'))).results.map((r) => [r.questionId, [r.predicted, r.abstained, r.correct, r.memoriesAvailable]]),
    );
    const parallel = new Map(
      (await readRun(out)).results.map((r) => [r.questionId, [r.predicted, r.abstained, r.correct, r.memoriesAvailable]]),
    );
    assert.deepEqual([...parallel].sort(), [...sequential].sort());
  });

  it('names missing videos and bad question files clearly', async () => {
    const badQa = await writeQuestions(join(dir), [
      { id: 'x', video: 'missing', type: 't', question: 'q', options, answer: 'A', at: null },
    ]);
    const robot = ['jsonl', '--protocol', 'robot', '--videos', dir];
    const { value, errors } = await withErrors(async () => [
      await run([...robot, '--qa', badQa, '--out', join(dir, 'run-b'), '--memorizer.url', server.url]),
      await run([...robot, '--qa', join(dir, 'v1.mp4'), '--out', join(dir, 'run-c')]),
      await run(['imagenet', '--videos', dir]),
    ]);
    assert.deepEqual(value, [2, 2, 2]);
    assert.match(errors, /no video file for missing in .* \(looked for \.mp4/);
    assert.match(errors, /is not a valid jsonl question file: line 1 is not JSON/);
    assert.match(errors, /which question format\?/);
    assert.ok(!existsSync(join(dir, 'run-b', 'results.md')));
  });
});
