import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/commands/bench.js';
import { readRun } from '../../src/bench/results.js';
import { StandInModelServer } from '../support/StandInModelServer.js';
import { makeSceneVideo, sceneModel, standInFlags, withErrors } from '../support/benchDataset.js';

describe('taskmem bench egolife: a day recording', function () {
  this.timeout(120_000);
  let dir: string;
  let server: StandInModelServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-egolife-'));
    // The day's recording starts at 11:20:52: red until 11:21:02, yellow until 11:21:12, blue until 11:21:22.
    await makeSceneVideo(join(dir, 'DAY1_A1_JAKE_11205200.mp4'), ['red', 'yellow', 'blue']);
    server = await new StandInModelServer().start();
    server.onChat = sceneModel;
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const common = () => standInFlags(server.url);

  function writeQa(items: unknown): string {
    const qa = join(dir, `qa-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(qa, JSON.stringify(items));
    return qa;
  }

  // The EgoLifeQA item of a question asked at 11:21:17 of DAY1: 25 s into the recording.
  const asked = {
    ID: '1',
    videoID: 'DAY1_A1_JAKE_11205200',
    query_time: { date: 'DAY1', time: '11211700' },
    type: 'EntityLog',
    question: 'Which colour did the robot see last?',
    choice_a: 'red',
    choice_b: 'yellow',
    choice_c: 'blue',
    choice_d: 'green',
    answer: 'B',
    target_time: { date: 'DAY1', time: '11210500' },
  };

  // On the code before the real start was used, this question was asked at 40,877 s (11:21:17 read as seconds since
  // the first frame), after the whole recording: it saw all 3 memories and answered C (blue).
  it('answers a question asked at 11:21:17 from the memories written by 11:21:17 only (robot protocol)', async () => {
    const out = join(dir, 'run-robot');
    const code = await run([
      'egolife',
      '--protocol',
      'robot',
      '--videos',
      dir,
      '--qa',
      writeQa([asked]),
      '--out',
      out,
      ...common(),
      '--focus.depth',
      '0',
    ]);
    assert.equal(code, 0);
    const [result] = (await readRun(out)).results;
    assert.ok(result);
    assert.equal(result.askedAtS, 25, 'asked 25 s into the recording (11:21:17 − 11:20:52)');
    assert.equal(result.memoriesAvailable, 2, 'the red and yellow segments were memorized by then, the blue one was not');
    assert.equal(result.predicted, 'B', 'the last colour seen by 11:21:17 is yellow');
  });

  it("shows the paper's answerer no memory created after 11:21:17, and votes three samples", async () => {
    const out = join(dir, 'run-paper');
    // The dataset's own items carry no videoID: the recording is found by its EgoLife name and the question's date.
    const { videoID: _, ...withoutVideo } = asked;
    const before = server.chatRequests().length;
    const code = await run([
      'egolife',
      '--protocol',
      'paper',
      '--no-speech',
      '--videos',
      dir,
      '--qa',
      writeQa([withoutVideo]),
      '--out',
      out,
      ...common(),
    ]);
    assert.equal(code, 0);
    const [result] = (await readRun(out)).results;
    assert.ok(result);
    assert.deepEqual([result.askedAtS, result.memoriesAvailable, result.predicted, result.correct], [25, 2, 'B', true]);
    assert.deepEqual(result.votes, { A: 0, B: 3, C: 0, D: 0, E: 0 });
    const answering = server
      .chatRequests()
      .slice(before)
      .filter((r) => r.messages.length === 1 && typeof r.messages[0]!.content === 'string');
    assert.equal(answering.length, 1, 'one request, three samples');
    assert.equal(answering[0]!.n, 3);
    const prompt = answering[0]!.messages[0]!.content as string;
    assert.match(prompt, /asked, DAY1 11:21:17/);
    assert.match(prompt, /DAY1 11:20:52-DAY1 11:21:02\nThe view turns the colour red/);
    assert.match(prompt, /colour yellow/);
    assert.doesNotMatch(prompt, /colour blue/, 'the blue scene was memorized after 11:21:17');
  });

  it("answers the reference's results file from each question's current and target clips", async () => {
    const clips = join(dir, 'clips');
    mkdirSync(clips);
    const current = 'current_1_DAY2_A1_JAKE_16190000__DAY2_A1_JAKE_16192000';
    const target = 'target_1_DAY1_A1_JAKE_11150000__DAY1_A1_JAKE_11153000';
    await makeSceneVideo(join(clips, `${current}.mp4`), ['white', 'green']);
    await makeSceneVideo(join(clips, `${target}.mp4`), ['red', 'yellow', 'blue']);
    const qa = writeQa({
      results: [
        {
          ID: 1,
          qa_raw: {
            question: 'Which colour did the robot see last?',
            choice_a: 'red',
            choice_b: 'yellow',
            choice_c: 'blue',
            choice_d: 'white',
            type: 'EventRecall',
          },
          qa: { query_time: { date: 'DAY2', time: '16192000' }, answer: 'C' },
          current_groups: [{ output: `/somewhere/${current}.mp4` }],
          target_groups: [{ output: `/somewhere/${target}.mp4` }],
        },
      ],
    });
    const out = join(dir, 'run-clips');
    const before = server.chatRequests().length;
    assert.equal(await run(['egolife', '--protocol', 'paper', '--no-speech', '--videos', clips, '--qa', qa, '--out', out, ...common()]), 0);
    const [result] = (await readRun(out)).results;
    assert.deepEqual([result!.predicted, result!.correct, result!.memoriesAvailable, result!.askedAtS], ['C', true, 5, null]);
    assert.deepEqual(result!.sources, [current, target]);
    const prompt = server
      .chatRequests()
      .slice(before)
      .map((r) => r.messages[0]!.content)
      .find((c): c is string => typeof c === 'string' && c.includes('=== CURRENT'))!;
    assert.match(
      prompt,
      /=== CURRENT clip memories ===\nDAY2: from 16:19:00:000 to 16:19:20:000\nDescription:\n\n00:00:00-00:00:10\n[^\n]*white[^\n]*\n\n00:00:10-00:00:20\n[^\n]*green[^\n]*\n\n=== TARGET clip memories ===\nDAY1: from 11:15:00:000 to 11:15:30:000\nDescription:\n\n00:00:00-00:00:10\n[^\n]*red/,
    );
    assert.match(prompt, /"cot"/);

    const { value, errors } = await withErrors(() =>
      run(['egolife', '--protocol', 'robot', '--videos', clips, '--qa', qa, '--out', join(dir, 'run-clips-robot'), ...common()]),
    );
    assert.equal(value, 2);
    assert.match(errors, /EgoLife evidence clips are the paper's protocol/);
  });
});
