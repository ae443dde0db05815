import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRun } from '../../src/bench/results.js';
import { run } from '../../src/cli/commands/bench.js';
import { silentLogger } from '../../src/log.js';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import { StandInModelServer, type ChatRequest } from '../support/StandInModelServer.js';
import { makeSceneVideo, sceneModel, standInFlags, withErrors } from '../support/benchDataset.js';
import { readQuoted } from '../support/promptReading.js';

/** The text of a request's first message: the paper's answer and judge requests are one user message. */
const firstText = (r: ChatRequest) => (typeof r.messages[0]!.content === 'string' ? r.messages[0]!.content : '');
const isMemorizer = (r: ChatRequest) => r.messages.some((m) => Array.isArray(m.content));

describe("taskmem bench --protocol paper (the TaskMem reference's protocol, end to end)", function () {
  this.timeout(240_000);
  let dir: string;
  let server: StandInModelServer;
  let videomme: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-paper-'));
    await makeSceneVideo(join(dir, 'v1.mp4'), ['red', 'yellow', 'blue'], { withAudio: true });
    await makeSceneVideo(join(dir, 'v2.mp4'), ['green', 'white']);
    const mme = (videoID: string, question: string, options: string[], answer: string) => ({
      videoID,
      question,
      options: options.map((o, i) => `${'ABCD'[i]}. ${o}`),
      answer,
    });
    const colours = ['red', 'yellow', 'blue', 'green'];
    const colour = [
      mme('v1', 'Which colour did the robot see first in the morning?', colours, 'A'),
      mme('v1', 'Which colour did the robot see last?', colours, 'C'),
      mme('v2', 'Which colour did the robot see last?', ['red', 'white', 'blue', 'green'], 'B'),
    ];
    const trick = [mme('v2', 'Give an unreadable reply.', colours, 'A')];
    videomme = join(dir, 'videomme.json');
    writeFileSync(videomme, JSON.stringify({ all: [...colour, ...trick], colour, trick }));
    server = await new StandInModelServer().start();
    server.onChat = sceneModel;
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const endpoints = () => standInFlags(server.url);

  it('refuses to run without a transcriber unless told --no-speech', async () => {
    const { value, errors } = await withErrors(() =>
      run(['videomme', '--protocol', 'paper', '--videos', dir, '--qa', videomme, '--out', join(dir, 'refused'), ...endpoints()]),
    );
    assert.equal(value, 2);
    assert.match(errors, /set audio.transcriber_url .* or pass --no-speech/);
  });

  it('answers from the whole memory with per-type memories, reads prompts from files, and records how the run was made', async () => {
    const prompts = join(dir, 'prompts');
    mkdirSync(prompts);
    writeFileSync(
      join(prompts, 'answer-videomme.txt'),
      'OUR OWN PROMPT. Descriptions of the video:\n{memory}\n\nQuestion:\n{question}\n{options}\nReply "Answer: X" with X one of {letters}, or {abstain}.',
    );
    const out = join(dir, 'paper');
    const before = server.chatRequests().length;
    const code = await run([
      'videomme',
      '--protocol',
      'paper',
      '--no-speech',
      '--videos',
      dir,
      '--qa',
      videomme,
      '--out',
      out,
      '--prompts',
      prompts,
      '--focus.depth',
      '1',
      '--focus-updates',
      '1,5',
      '--segment.window_fps',
      '0.4',
      ...endpoints(),
    ]);
    assert.equal(code, 0);
    const { results, memorized } = await readRun(out);
    const byQuestion = new Map(results.map((r) => [r.question + r.videoId, r]));
    const morning = byQuestion.get('Which colour did the robot see first in the morning?v1')!;
    assert.deepEqual(
      [morning.predicted, morning.correct, morning.memoriesAvailable],
      ['A', true, 3],
      '"in the morning" does not bound the memory: the whole memory of the video is read',
    );
    assert.equal(byQuestion.get('Which colour did the robot see last?v1')!.predicted, 'C');
    const trick = byQuestion.get('Give an unreadable reply.v2')!;
    assert.deepEqual([trick.unparsable, trick.abstained, trick.correct], [true, false, false], 'an unreadable reply is answered and wrong');

    // The schedule: the third colour question (v2) is the first after 1 question of its type, so v2 is memorized
    // again for "colour" with that question as its example; the first questions of each type read plain memories.
    const v2colour = byQuestion.get('Which colour did the robot see last?v2')!;
    assert.deepEqual(v2colour.sources, ['v2#colour']);
    assert.equal(v2colour.correct, true);
    assert.deepEqual(morning.sources, ['v1']);
    assert.deepEqual(trick.sources, ['v2']);
    assert.deepEqual([...memorized.keys()].sort(), ['v1', 'v2', 'v2#colour']);
    const store = new SqliteMemoryStore({ path: join(out, 'memory.sqlite'), logger: silentLogger });
    try {
      const { memories: focused } = await store.recall({ robotId: 'v2#colour', limit: 100 });
      assert.equal(focused.length, 2);
      assert.ok(focused.every((h) => h.memory.taskGroup === 'colour' && h.memory.focusDepth === 1));
      assert.ok((await store.recall({ robotId: 'v2', limit: 100 })).memories.every((h) => h.memory.taskGroup === null));
    } finally {
      await store.close();
    }
    const requests = server.chatRequests().slice(before);
    const examplesOf = (r: ChatRequest) => JSON.parse(readQuoted(r, ['task_questions']).blocks.get('task_questions') ?? '[]') as string[];
    const focusedRequests = requests.filter(
      (r) => isMemorizer(r) && examplesOf(r).includes('Which colour did the robot see first in the morning?'),
    );
    assert.equal(focusedRequests.length, 2, "v2's two segments memorized for colour, conditioned on the example");

    // The answer prompt came from the file, with the whole memory in the reference's blocks and relative times.
    const answers = requests.filter((r) => firstText(r).startsWith('OUR OWN PROMPT'));
    assert.equal(answers.length, 4);
    const v1prompt = firstText(answers.find((r) => firstText(r).includes('first in the morning'))!);
    assert.match(
      v1prompt,
      /Descriptions of the video:\nDescription:\n\n00:00:00-00:00:10\nThe view turns the colour red[^\n]*\n\n00:00:10-00:00:20\n[^\n]*yellow[^\n]*\n\n00:00:20-00:00:30\n[^\n]*blue/,
    );
    assert.match(v1prompt, /A\. red\nB\. yellow\nC\. blue\nD\. green\nReply "Answer: X" with X one of A, B, C or D, or E\./);

    // With window frames, each request carries the earlier segments' frames in fixed places.
    const v1memorizer = requests.filter(isMemorizer).filter((r) => examplesOf(r).length === 0);
    assert.ok(v1memorizer.some((r) => JSON.stringify(r).includes('Preceding descriptions and camera images')));

    const md = readFileSync(join(out, 'results.md'), 'utf8');
    assert.match(md, /\| paper \| paper \(TaskMem reference: whole memory\) \| 75\.0 \/ 100\.0 \/ 75\.0 \(4\) \|/);
    assert.match(md, /- protocol: paper/);
    assert.match(md, /answer-videomme [0-9a-f]{12} \(.*answer-videomme\.txt\)/);
    assert.match(md, /memorize memorize@3 \(built-in\)/);
    assert.match(md, /memorizer taskmem-policy at http:\/\/127\.0\.0\.1:\d+\/v1; answerer answerer at/);
    assert.match(md, /- speech: not transcribed \(--no-speech\)/);
    assert.match(md, /4 frames of each earlier segment of the 50 s window \(0\.4 fps\)/);
    assert.match(md, /examples by the paper's schedule: none for the first 1 questions of a type/);
    assert.match(md, /fallback memories \(perception, policy unreachable\) 0, failed segments 0/);
    assert.match(md, /unparsable replies \(scored wrong\) 1, judge errors \(scored wrong\) 0/);
    const sizes = /memorizer requests: (\d+); per request about (\d+) text tokens and (\d+) visual tokens .*about (\d+) tokens \(/.exec(md);
    assert.ok(sizes, md);
    assert.equal(Number(sizes[1]), 7, '3 + 2 + 2 segments');
    assert.ok(Number(sizes[3]) > 0 && Number(sizes[4]) > 0, 'visual tokens and a shared prefix are measured');
  });

  it('reports the same video under the robot protocol by that name, where "in the morning" bounds retrieval', async () => {
    const out = join(dir, 'robot');
    assert.equal(
      await run(['videomme', '--protocol', 'robot', '--videos', dir, '--qa', videomme, '--out', out, '--focus.depth', '0', ...endpoints()]),
      0,
    );
    const morning = (await readRun(out)).results.find((r) => r.question.includes('morning'))!;
    assert.equal(morning.abstained, true, 'the robot reads "in the morning" as 06:00–12:00 of the stream date, before the video');
    assert.match(readFileSync(join(out, 'results.md'), 'utf8'), /\| robot \| robot \(retrieval, not the paper's\) \|/);
    const { value, errors } = await withErrors(() =>
      run(['videomme', '--protocol', 'paper', '--no-speech', '--videos', dir, '--qa', videomme, '--out', out, ...endpoints()]),
    );
    assert.equal(value, 2, 'a run folder is not resumed under another protocol');
    assert.match(errors, /holds a run made with another protocol/);
  });

  it('asks EgoTempo in any case with the egocentric note, and judges free-form answers', async () => {
    const egotempo = join(dir, 'egotempo.json');
    writeFileSync(
      egotempo,
      JSON.stringify({
        'object recall': [
          { videoID: 'v2', question: 'What colour did I see last?', answer: 'white' },
          { videoID: 'v2', question: 'What colour did I see first?', answer: 'red' },
          { videoID: 'v2', question: 'What colour did I see last, undecidable as it is?', answer: 'white' },
        ],
      }),
    );
    const out = join(dir, 'egotempo');
    const before = server.chatRequests().length;
    assert.equal(
      await run([
        'egotempo',
        '--protocol',
        'paper',
        '--no-speech',
        '--videos',
        dir,
        '--qa',
        egotempo,
        '--out',
        out,
        '--focus.depth',
        '0',
        ...endpoints(),
      ]),
      0,
    );
    const results = (await readRun(out)).results;
    assert.deepEqual(
      results.map((r) => [r.question, r.correct, r.abstained]),
      [
        ['What colour did I see last?', true, false],
        ['What colour did I see first?', false, false],
        ['What colour did I see last, undecidable as it is?', false, false],
      ],
    );
    assert.deepEqual(
      results.map((r) => r.judgeError),
      [false, false, true],
    );
    assert.match(readFileSync(join(out, 'results.md'), 'utf8'), /unparsable replies \(scored wrong\) 0, judge errors \(scored wrong\) 1/);
    const requests = server.chatRequests().slice(before);
    const answer = firstText(requests.find((r) => firstText(r).includes('What colour did I see last?'))!);
    assert.match(answer, /Answer it in any case/);
    assert.match(answer, /refers to the person recording the video/);
    assert.match(answer, /'Insufficient Information'/);
    const judged = requests.filter((r) => firstText(r).includes('Ground-truth answer:'));
    assert.equal(judged.length, 2 + 3, 'the undecidable one asked three times');
    assert.ok(judged.every((r) => r.max_tokens === 16384));
  });

  it('counts failed segments and fallback memories in results.md', async () => {
    const single = join(dir, 'single.jsonl');
    writeFileSync(
      single,
      JSON.stringify({
        id: 'q',
        video: 'v2',
        type: 'colour',
        question: 'Which colour did the robot see last?',
        options: ['green', 'white'],
        answer: 'B',
        at: null,
      }) + '\n',
    );
    // A paper run of that question against this memorizer endpoint, with the policy asked once per segment.
    const runWith = (out: string, memorizer: string, fallback: boolean, ...more: string[]) =>
      run([
        ...['jsonl', '--protocol', 'paper', '--no-speech', '--videos', dir, '--qa', single, '--out', out, ...more],
        ...['--memorizer.url', memorizer, '--memorizer.retries', '0', '--memorizer.fallback', String(fallback)],
        ...['--answerer.url', server.url, '--answerer.model', 'answerer', '--focus.depth', '0'],
      ]);

    // A policy whose every reply breaks the output contract: both segments fail; the answerer sees no memory. Its
    // prompt comes from a file.
    const prompts = join(dir, 'memorize-prompts');
    mkdirSync(prompts);
    writeFileSync(join(prompts, 'memorize.txt'), 'THE FILE PROMPT. Look:\n{frames}\nBefore: {preceding}{focus}');
    const broken = await new StandInModelServer().start();
    broken.onChat = () => 'I cannot help with that.';
    try {
      const out = join(dir, 'failing');
      const code = await runWith(out, broken.url, false, '--prompts', prompts);
      assert.equal(code, 0);
      assert.ok(broken.chatRequests().every((r) => r.messages.length === 1 && JSON.stringify(r).includes('THE FILE PROMPT. Look:')));
      const md = readFileSync(join(out, 'results.md'), 'utf8');
      assert.match(md, /memorize file:[0-9a-f]{12} \(.*memorize\.txt\)/);
      assert.match(md, /segments 2, memories 0, fallback memories \(perception, policy unreachable\) 0, failed segments 2/);
      assert.deepEqual(
        (await readRun(out)).results.map((r) => [r.abstained, r.memoriesAvailable]),
        [[true, 0]],
      );
    } finally {
      await broken.stop();
    }

    // A policy endpoint nobody answers at, with the fallback on: the perception memorizer writes both segments.
    const gone = await new StandInModelServer().start();
    const nobody = gone.url;
    await gone.stop();
    const out = join(dir, 'fallback');
    const code = await runWith(out, nobody, true);
    assert.equal(code, 0);
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    assert.match(md, /segments 2, memories 2, fallback memories \(perception, policy unreachable\) 2, failed segments 0/);
    assert.match(md, /memorizer requests: 2;/, 'the policy requests were built, and went unanswered');
  });
});
