import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { colourJpeg, memoryFixture, SEGMENT_NS, segmentFixture, T0 } from '../../test/support/memorizeFixtures.js';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { PolicyClient } from './PolicyClient.js';
import { PolicyMemorizer } from './PolicyMemorizer.js';
import { loadMemorizeTemplates, templateId, templateMessages } from './templatePrompt.js';

/** In the reference's layout: an opening text, the video, then the instructions with the preceding descriptions. */
const PROMPT = `You are given a video and [Description of the preceding part].
{frames}
Describe the video. Requirements:
- Output a dictionary with the key "description".{focus}

[Description of the preceding part]:
{preceding}
Speech:
{speech}`;
const FOCUS = `\n\nAdditional Output Requirements:\nFocus on what answers questions like:\n{examples}`;

describe('memorization prompt from a file (memorizer.prompt_file)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-template-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('fills the slots and puts the window frames, then the new keyframes, where {frames} stands, in one user message', async () => {
    const templates = (await loadMemorizeTemplates(file('memorize.txt', PROMPT), file('focus.txt', FOCUS)))!;
    const segment = await segmentFixture({ index: 6, keyframes: 2, transcript: [{ at: 1, speaker: 'person_2', text: 'Hello  there' }] });
    const earlier = {
      segmentIndex: 5,
      start: T0 + 5n * SEGMENT_NS,
      end: T0 + 6n * SEGMENT_NS,
      frames: [{ stamp: T0 + 55n * 100_000_000n, jpeg: await colourJpeg(9, 9, 9), width: 64, height: 32 }],
    };
    const messages = templateMessages(templates, {
      segment,
      // Given in any order; shown in time order.
      window: [memoryFixture(5, 'person_1 sits down.'), memoryFixture(4, 'person_1 enters.')],
      windowFrames: [earlier],
      focusExamples: ['How many  chairs?', 'Who sat down?'],
    });
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.role, 'user');
    const parts = messages[0]!.content as { type: string; text?: string; image_url?: { url: string } }[];
    assert.deepEqual(
      parts.map((p) => p.type),
      ['text', 'image_url', 'image_url', 'image_url', 'text'],
    );
    assert.equal(parts[0]!.text, 'You are given a video and [Description of the preceding part].\n');
    const urls = parts.filter((p) => p.image_url).map((p) => p.image_url!.url);
    const url = (jpeg: Uint8Array) => `data:image/jpeg;base64,${Buffer.from(jpeg).toString('base64')}`;
    assert.deepEqual(urls, [url(earlier.frames[0]!.jpeg), ...segment.keyframes.map((k) => url(k.jpeg))]);
    assert.equal(
      parts[4]!.text,
      '\nDescribe the video. Requirements:\n- Output a dictionary with the key "description".\n\nAdditional Output Requirements:\n' +
        'Focus on what answers questions like:\n- How many chairs?\n- Who sat down?\n\n[Description of the preceding part]:\n' +
        'person_1 enters. person_1 sits down.\nSpeech:\n14:01:01.0 person_2: Hello there',
    );
    // Without examples, {focus} is empty.
    const plain = templateMessages(templates, { segment, window: [], windowFrames: [], focusExamples: [] });
    assert.match(JSON.stringify(plain), /key \\"description\\"\.\\n\\n\[Description/);
  });

  it('names a template without {frames}, with {frames} twice, or a focus file without a prompt file', async () => {
    await assert.rejects(
      loadMemorizeTemplates(file('no-frames.txt', 'Describe {preceding}'), ''),
      /no-frames\.txt: it has no \{frames\}; its slots are \{frames\}, \{preceding\}, \{speech\}, \{focus\}/,
    );
    await assert.rejects(
      loadMemorizeTemplates(file('twice.txt', '{frames} and {frames}'), ''),
      /twice\.txt: \{frames\} must appear exactly once/,
    );
    await assert.rejects(loadMemorizeTemplates('', file('f.txt', FOCUS)), /memorizer\.focus_prompt_file needs memorizer\.prompt_file/);
    await assert.rejects(loadMemorizeTemplates(join(dir, 'missing.txt'), ''), /missing\.txt: cannot read it/);
    assert.equal(await loadMemorizeTemplates('', ''), null);
  });

  it('records which file wrote each memory', async () => {
    const server = await new StandInModelServer().start();
    server.onChat = () => '<think>ok</think>```json\n{"description": "person_1 waves at the robot from the doorway of the kitchen."}\n```';
    try {
      const templates = (await loadMemorizeTemplates(file('memorize2.txt', PROMPT), ''))!;
      const memorizer = new PolicyMemorizer({
        client: new PolicyClient({
          baseURL: server.url,
          model: 'taskmem-policy',
          apiKey: null,
          timeoutMs: 2000,
          maxReplyMb: 8,
          sampling: { temperature: 0.6, topP: 0.95, topK: 20, maxTokens: 512 },
        }),
        retries: 0,
        backoffMs: 1,
        windowSlots: 4,
        now: () => T0,
        templates,
      });
      const outcome = await memorizer.memorize(await segmentFixture({ index: 0 }), { window: [], focus: null });
      assert.ok(outcome.kind === 'memory', outcome.kind === 'failed' ? outcome.failure.reason : '');
      assert.equal(outcome.memory.template, templateId(templates));
      assert.match(outcome.memory.template, /^file:[0-9a-f]{12}$/);
      assert.equal(server.chatRequests()[0]!.messages.length, 1);
    } finally {
      await server.stop();
    }
  });
});
