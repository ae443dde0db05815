import { strict as assert } from 'node:assert';
import type OpenAI from 'openai';
import { memoryFixture, segmentFixture } from '../../test/support/memorizeFixtures.js';
import type { Memory } from '../memory/Memory.js';
import { focusText, memorizeMessages, promptText, windowOrder } from './prompts.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** The request as the model's chat template lays it out: role by role, parts in order, images as their bytes. */
function rendered(messages: ChatMessage[]): string {
  return messages
    .map((m) => {
      const content =
        typeof m.content === 'string'
          ? m.content
          : (m.content ?? []).map((p) => ('text' in p ? p.text : 'image_url' in p ? p.image_url.url : '')).join('');
      return `<|${m.role}|>${content}<|end|>`;
    })
    .join('');
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

const W = 4;
const texts = Array.from({ length: 13 }, (_, i) => `person_1 does thing number ${i} in the kitchen.`);

/** The window of segment k as the pipeline gives it: up to W previous memories, oldest first. */
function windowOf(k: number): Memory[] {
  return texts.slice(Math.max(0, k - W), k).map((text, j) => memoryFixture(Math.max(0, k - W) + j, text));
}

describe('memorization prompt', () => {
  it('orders rules, focus, window, speech, keyframes and pose, with keyframes as JPEG data URLs', async () => {
    const segment = await segmentFixture({
      index: 5,
      keyframes: 2,
      transcript: [{ at: 1.5, speaker: 'person_2', text: 'Where  are my keys?' }],
      poses: [
        { at: 1, x: 9, y: 9 },
        { at: 5.2, x: 1.25, y: -2 },
      ],
    });
    const messages = memorizeMessages({ segment, window: windowOf(5), focusExamples: ['Where did I leave my keys?'], windowSlots: W });
    assert.equal(messages.length, 2);
    const [system, user] = messages;
    assert.equal(system!.role, 'system');
    const rules = system!.content as string;
    assert.match(rules, /Write only what is new/);
    assert.match(rules, /Do not begin with "The video"/);
    assert.match(rules, /one or two sentences/);
    assert.ok(
      rules.indexOf('{"description": "..."}') < rules.indexOf(focusText(['Where did I leave my keys?'])),
      'focus text comes after the output rules',
    );
    const text = promptText(messages);
    const order = [
      'Preceding descriptions',
      'thing number 1 ',
      'New segment 14:00:50.0–14:01:00.0',
      '14:00:51.5 person_2: Where are my keys?',
      'Camera image at 14:00:52.5:',
      '[image 1]',
      'Camera image at 14:00:57.5:',
      '[image 2]',
      'The robot was at x=1.25 m, y=-2.00 m',
    ];
    let last = -1;
    for (const piece of order) {
      const at = text.indexOf(piece);
      assert.ok(at > last, `${piece} should follow the previous piece`);
      last = at;
    }
    const images = (user!.content as OpenAI.Chat.Completions.ChatCompletionContentPart[]).filter((p) => p.type === 'image_url');
    assert.equal(images.length, 2);
    for (const image of images) {
      const url = image.image_url.url;
      assert.match(url, /^data:image\/jpeg;base64,/);
      assert.deepEqual([...Buffer.from(url.split(',')[1]!, 'base64').subarray(0, 2)], [0xff, 0xd8]);
    }
  });

  it('gives the ids of the faces recognised in a keyframe, with their boxes, right after its image', async () => {
    const segment = await segmentFixture({ index: 2, keyframes: 2 });
    const { width, height } = segment.keyframes[0]!;
    const face = (personId: string | null, left: number) => ({
      personId,
      confidence: 0.9,
      box: { left: left * width, top: 0.25 * height, width: 0.2 * width, height: 0.5 * height },
    });
    segment.sightings = [
      { examined: true, objects: [], faces: [face('person_3', 0.1), face(null, 0.6)] },
      { examined: true, objects: [], faces: [] },
    ];
    const parts = memorizeMessages({ segment, window: [], focusExamples: [], windowSlots: W })[1]!.content as {
      type: string;
      text?: string;
    }[];
    const images = parts.flatMap((p, i) => (p.type === 'image_url' ? [i] : []));
    assert.equal(
      parts[images[0]! + 1]!.text,
      'Faces in this image (box [left, top, right, bottom] in thousandths of the image): person_3 [100, 250, 300, 750]; a person not recognised [600, 250, 800, 750].',
    );
    assert.match(parts[images[1]! + 1]!.text!, /^\n/, 'nothing about faces after an image without any');
    assert.match(
      memorizeMessages({ segment, window: [], focusExamples: [], windowSlots: W })[0]!.content as string,
      /ids given in the speech lines and with the camera images/,
    );
  });

  it('has no focus text without examples and no window lines without a window', async () => {
    const text = promptText(
      memorizeMessages({ segment: await segmentFixture({ index: 0 }), window: [], focusExamples: [], windowSlots: W }),
    );
    assert.doesNotMatch(text, /Focus on content/);
    assert.match(text, /Preceding descriptions: none\./);
    assert.match(text, /No speech was heard\./);
  });

  it('lets consecutive requests share rules, focus and every window memory before the place of the one dropped', async () => {
    const focus = ['How many cups are on the table?', 'Where is the red cup?'];
    const requests: string[] = [];
    for (let k = 0; k < texts.length; k++) {
      requests.push(
        rendered(
          memorizeMessages({ segment: await segmentFixture({ index: k }), window: windowOf(k), focusExamples: focus, windowSlots: W }),
        ),
      );
    }
    let sharedMemories = 0;
    for (let k = 1; k < requests.length; k++) {
      const [previous, next] = [requests[k - 1]!, requests[k]!];
      const shared = sharedPrefix(previous, next);
      assert.ok(shared > previous.indexOf(focusText(focus)) + focusText(focus).length, `request ${k} shares rules and focus`);
      const memoriesIn = (request: string, upTo: number) =>
        texts.filter((t) => request.indexOf(t) >= 0 && request.indexOf(t) + t.length <= upTo).length;
      const kept = memoriesIn(previous, shared);
      if (k > W) {
        // The dropped memory (segment k-1-W) sat at place (k-1-W) mod W; the prefix runs exactly up to its line.
        const dropped = texts[k - 1 - W]!;
        const line = previous.lastIndexOf('[', previous.indexOf(dropped));
        assert.ok(shared >= line && shared < previous.indexOf(dropped) + dropped.length, `request ${k} shares up to the dropped line`);
        assert.equal(kept, (k - 1 - W) % W);
        sharedMemories += kept;
      } else {
        // While the window fills, each request only appends: all previous memories are shared.
        assert.equal(kept, k - 1);
      }
    }
    // Steady state, over two full rotations: on average (W-1)/2 = 1.5 memories stay in the cached prefix.
    assert.equal(sharedMemories / (requests.length - 1 - W), 1.5);

    // Time order would share none: its first line changes with every segment.
    const timeOrdered = (k: number) =>
      `${focusText(focus)}${windowOf(k)
        .map((m) => m.text)
        .join('\n')}`;
    const [before, after] = [timeOrdered(9), timeOrdered(10)];
    assert.equal(sharedPrefix(before, after), before.indexOf(texts[5]!) + 'person_1 does thing number '.length);
  });

  it('puts each window memory in the place of its segment index, wherever it sits in the window', () => {
    const window = [7, 8, 9, 10].map((i) => memoryFixture(i, `m${i}`));
    assert.deepEqual(
      windowOrder(window, W).map((m) => m.segmentIndex),
      [8, 9, 10, 7],
    );
    assert.deepEqual(
      windowOrder([window[3]!, window[1]!], W).map((m) => m.segmentIndex),
      [8, 10],
    );
  });

  it('breaks the shared prefix right after the rules when the focus changes', async () => {
    const segment = await segmentFixture({ index: 6 });
    const a = rendered(memorizeMessages({ segment, window: windowOf(6), focusExamples: ['How many cups?'], windowSlots: W }));
    const b = rendered(memorizeMessages({ segment, window: windowOf(6), focusExamples: ['Who spoke to the robot?'], windowSlots: W }));
    assert.equal(sharedPrefix(a, b), a.indexOf('- How many cups?') + 2);
  });
});
