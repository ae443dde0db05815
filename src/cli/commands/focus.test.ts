import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { colourJpeg } from '../../../test/support/memorizeFixtures.js';
import { makeSceneVideo, sceneModel, standInFlags, withErrors, writeQuestions } from '../../../test/support/benchDataset.js';
import { StandInModelServer, type ChatRequest } from '../../../test/support/StandInModelServer.js';
import { readQuoted } from '../../../test/support/promptReading.js';
import { storedRequest } from '../../focus/storedRequest.js';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';
import { run as bench } from './bench.js';
import { run } from './focus.js';

interface ExportedLine {
  id: string;
  group: string;
  examples: string[];
  images: string[];
  prompt: { role: string; content: { type: string; text?: string }[] }[];
  chosen: { role: string; content: { type: string; text: string }[] }[];
  rejected: { role: string; content: { type: string; text: string }[] }[];
  chosen_description: string;
  rejected_description: string;
  segment_id: string;
  created_at: string;
}

const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ExportedLine);

describe('taskmem focus', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-focus-cli-'));
    path = join(dir, 'm.sqlite');
    const store = new SqliteMemoryStore({ path });
    const [red, blue] = [await colourJpeg(200, 0, 0), await colourJpeg(0, 0, 200)];
    const dataUrl = (jpeg: Uint8Array) => `data:image/jpeg;base64,${Buffer.from(jpeg).toString('base64')}`;
    for (const [i, group] of ['counting', 'counting', 'colour'].entries()) {
      // Consecutive requests show the same earlier frame: it is exported once.
      const { request, images } = storedRequest([
        { role: 'system', content: 'rules' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: dataUrl(red) } },
            { type: 'text', text: `segment ${i}` },
            { type: 'image_url', image_url: { url: dataUrl(i === 0 ? blue : red) } },
          ],
        },
      ]);
      await store.putPreference(
        {
          id: `p${i}`,
          segmentId: `r/0/${i}`,
          group,
          prompt: `rules; segment ${i}`,
          request,
          chosen: `three chairs ${i}`,
          rejected: `a room ${i}`,
          chosenCompletion: `<think>It counts.</think>{"description": "three chairs ${i}"}`,
          rejectedCompletion: `<think>Short.</think>{"description": "a room ${i}"}`,
          examples: ['How many chairs?'],
          chosenEmbedding: null,
          rejectedEmbedding: null,
          createdAt: BigInt(i),
        },
        images,
      );
    }
    // A pair stored before requests and completions were kept cannot be trained on.
    await store.putPreference({
      id: 'old',
      segmentId: 'r/0/9',
      group: 'counting',
      prompt: 'rules; segment 9',
      request: null,
      chosen: 'c',
      rejected: 'r',
      chosenCompletion: null,
      rejectedCompletion: null,
      examples: [],
      chosenEmbedding: null,
      rejectedEmbedding: null,
      createdAt: 9n,
    });
    await store.putFocusVector({ group: 'counting', vector: new Float32Array([1, 2]), pairs: 2, trainedAt: 5n });
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exports training-ready pairs: chat prompt with its images as files, whole completions, examples', async () => {
    const out = join(dir, 'train', 'pairs.jsonl');
    const { value, errors } = await withErrors(() => run(['export', '--group', 'counting', '--out', out, '--store.path', path]));
    assert.equal(value, 0);
    assert.match(errors, /2 pairs of group "counting" written to .*pairs\.jsonl, 2 new images beside it; 1 pairs stored before/);
    const lines = readLines(out);
    assert.equal(lines.length, 2);
    const [first] = lines;
    assert.deepEqual(first!.prompt, [
      { role: 'system', content: [{ type: 'text', text: 'rules' }] },
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'segment 0' }, { type: 'image' }] },
    ]);
    assert.deepEqual(first!.chosen, [
      { role: 'assistant', content: [{ type: 'text', text: '<think>It counts.</think>{"description": "three chairs 0"}' }] },
    ]);
    assert.equal(first!.rejected[0]!.content[0]!.text, '<think>Short.</think>{"description": "a room 0"}');
    assert.deepEqual(
      [first!.group, first!.examples, first!.chosen_description, first!.segment_id],
      ['counting', ['How many chairs?'], 'three chairs 0', 'r/0/0'],
    );
    assert.equal(first!.images.length, 2);
    assert.equal(lines[1]!.images[0], first!.images[0], 'the same frame is the same file');
    for (const image of new Set(lines.flatMap((l) => l.images))) {
      assert.match(image, /^images\/[0-9a-f]{64}\.jpg$/, 'paths are relative to the JSONL file');
      const stats = await sharp(join(dir, 'train', image)).stats();
      assert.ok(stats.channels[0]!.mean > 150 || stats.channels[2]!.mean > 150, 'the exported file is the image the prompt showed');
    }
    assert.equal(await run(['export', '--group', 'counting', '--store.path', path]), 2, 'the images need a folder: --out is required');
  });

  it('exports the pairs a benchmark run collected at focus depth 2, frames and thinking included', async function () {
    this.timeout(120_000);
    await makeSceneVideo(join(dir, 'v1.mp4'), ['red', 'yellow', 'blue']);
    const qa = await writeQuestions(dir, [
      {
        id: 'q',
        video: 'v1',
        type: 'colour',
        question: 'Which colour did the robot see last?',
        options: ['red', 'yellow', 'blue', 'green'],
        answer: 'C',
        at: 5,
      },
    ]);
    const server = await new StandInModelServer().start();
    // Two candidates per segment, a vivid and a plain one; the judge prefers the vivid one whichever side it is on.
    server.onChat = async (request: ChatRequest) => {
      const judged = readQuoted(request, ['task_questions', 'descriptions']).blocks.get('descriptions');
      if (judged)
        return (JSON.parse(judged) as { A: string }).A.includes('vivid')
          ? 'A is more useful.\nVERDICT: A'
          : 'B is more useful.\nVERDICT: B';
      const reply = await sceneModel(request);
      if ((request.n ?? 1) < 2) return reply;
      return [
        reply.replace('fills the frame', 'fills the frame, vivid and bright'),
        reply.replace('fills the frame', 'fills the frame, plain and dull'),
      ];
    };
    const out = join(dir, 'run');
    try {
      const code = await bench([
        'jsonl',
        '--protocol',
        'robot',
        '--videos',
        dir,
        '--qa',
        qa,
        '--out',
        out,
        ...standInFlags(server.url),
        '--focus.depth',
        '2',
        '--focus.candidates',
        '2',
      ]);
      assert.equal(code, 0);
    } finally {
      await server.stop();
    }
    const pairs = join(dir, 'export', 'pairs.jsonl');
    assert.equal(await run(['export', '--out', pairs, '--store.path', join(out, 'memory.sqlite')]), 0);
    const lines = readLines(pairs);
    assert.equal(lines.length, 3, 'every segment memorized after the question arrived at 5 s (the first closes at 10 s) gave a pair');
    for (const line of lines) {
      assert.equal(line.group, 'colour');
      assert.deepEqual(line.examples, ['Which colour did the robot see last?']);
      assert.match(line.chosen[0]!.content[0]!.text, /^<think>The frames are \w+\.<\/think>\{"description": ".*vivid and bright/);
      assert.match(line.rejected[0]!.content[0]!.text, /plain and dull/);
      assert.equal(line.images.length, line.prompt.flatMap((m) => m.content).filter((p) => p.type === 'image').length);
      assert.ok(line.images.length >= 8, 'the keyframes of the segment');
      for (const image of line.images) assert.ok(existsSync(join(dir, 'export', image)));
      assert.match(
        line.prompt.map((m) => m.content.map((p) => p.text ?? '').join('')).join('\n'),
        /Focus on content that will be used to answer questions similar to these recent questions of the robot's task:\n<task_questions>\n\[\n "Which colour did the robot see last\?"\n\]\n<\/task_questions>/,
      );
    }
  });

  it('resets a focus vector, and refuses a reset without a group', async () => {
    assert.equal(await run(['reset', '--store.path', path]), 2);
    assert.equal(await run(['reset', '--group', 'counting', '--store.path', path]), 0);
    const store = new SqliteMemoryStore({ path });
    assert.equal(await store.focusVector('counting'), null);
    await store.close();
    assert.equal(await run(['status', '--store.path', path]), 0);
    assert.equal(await run(['dance', '--store.path', path]), 2);
  });
});
