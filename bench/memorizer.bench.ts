/**
 * Memorizer costs on the robot's side of the wire, and how much of each request the server can take from its
 * prefix cache. (a) Shared prefix of consecutive requests in a stream of 10 s segments with 8 keyframes of
 * 448×256 (112 image tokens each in 32-px patches) and a 4-memory window: the window in fixed places versus in
 * time order. (b) CPU time to build a request (base64 of the keyframes included) and to read and gate a reply.
 * (c) A full memorize round trip against the loopback stand-in server (HTTP and JSON, no model time). (d) The
 * reference's input, the whole 50 s window at 2 fps (segment.window_fps 2, 20 keyframes per segment): tokens per
 * request and the shared prefix as the benchmark's RequestMeter counts them, with the earlier segments' frames in
 * fixed places, in time order, and in the reference's layout (a prompt file: opening text, the frames as a video,
 * then the instructions).
 */
import sharp from 'sharp';
import type OpenAI from 'openai';
import { OutputContract } from '../src/memorize/OutputContract.js';
import { PolicyClient } from '../src/memorize/PolicyClient.js';
import { PolicyMemorizer } from '../src/memorize/PolicyMemorizer.js';
import { memorizeMessages } from '../src/memorize/prompts.js';
import { QualityGate } from '../src/memorize/QualityGate.js';
import { approximateTokens } from '../src/memorize/approximateTokens.js';
import type { Memory } from '../src/memory/Memory.js';
import type { Segment } from '../src/segment/Segment.js';
import { RequestMeter } from '../src/bench/RequestMeter.js';
import type { SegmentFrames } from '../src/memorize/Memorizer.js';
import { PromptTemplate } from '../src/memorize/PromptTemplate.js';
import { MEMORIZE_TEMPLATE_SLOTS, templateMessages } from '../src/memorize/templatePrompt.js';
import { memoryFixture, segmentFixture } from '../test/support/memorizeFixtures.js';
import { StandInModelServer } from '../test/support/StandInModelServer.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
const IMAGE_TOKENS = (448 / 32) * (256 / 32);
const W = 4;
const SEGMENTS = 41;

/** Approximate token sequence: text tokens of each text part, a fixed count per image (its bytes as identity). */
function tokens(messages: ChatMessage[]): string[] {
  const out: string[] = [];
  for (const m of messages) {
    out.push(`<${m.role}>`);
    const parts = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : (m.content ?? []);
    for (const p of parts as { type: string; text?: string; image_url?: { url: string } }[]) {
      if (p.type === 'text') for (const chunk of p.text!.match(/[\s\S]{1,4}/g) ?? []) out.push(chunk);
      else for (let i = 0; i < IMAGE_TOKENS; i++) out.push(`${p.image_url!.url.slice(-40)}#${i}`);
    }
  }
  return out;
}

function shared(a: string[], b: string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

export default async () => {
  const frame = new Uint8Array(
    await sharp({
      create: { width: 448, height: 256, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .jpeg({ quality: 85 })
      .toBuffer(),
  );
  const texts = Array.from(
    { length: SEGMENTS },
    (_, i) =>
      `person_${i % 3} moves item ${i} from the counter to the shelf by the window while talking to person_${(i + 1) % 3} about dinner plans.`,
  );
  const segments: Segment[] = [];
  for (let k = 0; k < SEGMENTS; k++) {
    const s = await segmentFixture({
      index: k,
      keyframes: 8,
      transcript: [{ at: 3, speaker: 'person_1', text: `line ${k} of the conversation` }],
    });
    s.keyframes = s.keyframes.map((f, i) => ({
      ...f,
      jpeg: Uint8Array.from(frame.map((b, j) => (j === frame.length - 3 ? (k * 8 + i) & 0xff : b))),
      width: 448,
      height: 256,
    }));
    segments.push(s);
  }
  const windowOf = (k: number): Memory[] => texts.slice(Math.max(0, k - W), k).map((t, j) => memoryFixture(Math.max(0, k - W) + j, t));
  const focus = ['How many items are on the shelf?', 'Where did the blue cup go?'];

  // (a) prefix sharing, steady state (segments W+1 …).
  for (const [label, slots] of [
    ['fixed places', W],
    ['time order', 1],
  ] as const) {
    let sharedTokens = 0;
    let sharedText = 0;
    let textTotal = 0;
    let total = 0;
    let previous: string[] | null = null;
    for (let k = W; k < SEGMENTS; k++) {
      // slots 1 puts every memory in one place, i.e. plain time order.
      const request = tokens(memorizeMessages({ segment: segments[k]!, window: windowOf(k), focusExamples: focus, windowSlots: slots }));
      if (previous) {
        const s = shared(previous, request);
        sharedTokens += s;
        total += request.length;
        const text = request.findIndex((t) => t.includes('#'));
        sharedText += Math.min(s, text);
        textTotal += text;
      }
      previous = request;
    }
    console.log(
      `(a) window in ${label}: ${((100 * sharedTokens) / total).toFixed(1)} % of request tokens shared with the previous request; ${((100 * sharedText) / textTotal).toFixed(1)} % of the text before the first image`,
    );
  }

  // (b) request building and reply checking.
  const contract = new OutputContract();
  const gate = new QualityGate();
  const reply = {
    content: `<think>${'The person moves an item. '.repeat(60)}</think>\n{"description": "person_1 puts the blue cup on the top shelf and tells person_2 dinner is at seven."}`,
    reasoning: null,
    finishReason: 'stop',
  };
  const rounds = 200;
  let t = performance.now();
  for (let i = 0; i < rounds; i++) memorizeMessages({ segment: segments[10]!, window: windowOf(10), focusExamples: focus, windowSlots: W });
  const buildUs = ((performance.now() - t) * 1000) / rounds;
  t = performance.now();
  for (let i = 0; i < rounds; i++) gate.check(contract.parse(reply), texts.slice(6, 10));
  const checkUs = ((performance.now() - t) * 1000) / rounds;
  console.log(
    `(b) build a request with 8 keyframes (${(frame.length / 1024).toFixed(0)} KB each): ${buildUs.toFixed(0)} µs; parse + gate a reply: ${checkUs.toFixed(0)} µs (${approximateTokens(reply.content)} reply tokens)`,
  );

  // (c) round trip over loopback HTTP.
  const server = await new StandInModelServer().start();
  server.onChat = () => reply.content;
  const client = new PolicyClient({
    baseURL: server.url,
    model: 'bench',
    apiKey: null,
    timeoutMs: 10_000,
    maxReplyMb: 8,
    sampling: { temperature: 0.6, topP: 0.95, topK: 20, maxTokens: 8192 },
  });
  const memorizer = new PolicyMemorizer({ client, retries: 0, backoffMs: 0, windowSlots: W, now: () => 0n });
  const trips = 30;
  t = performance.now();
  for (let i = 0; i < trips; i++) {
    const outcome = await memorizer.memorize(segments[10]!, { window: windowOf(10), focus: null });
    if (outcome.kind !== 'memory') throw new Error(outcome.failure.reason);
  }
  const tripMs = (performance.now() - t) / trips;
  await server.stop();
  console.log(
    `(c) memorize round trip against the loopback stand-in: ${tripMs.toFixed(1)} ms per segment (${((tripMs / 10_000) * 100).toFixed(2)} % of a 10 s segment)`,
  );

  // (d) the whole window at 2 fps: 20 frames per segment, the 4 earlier segments' frames beside the new one's.
  const perSegment = 20;
  const dense: Segment[] = [];
  for (let k = 0; k < 16; k++) {
    const s = await segmentFixture({ index: k, keyframes: perSegment });
    s.keyframes = s.keyframes.map((f, i) => ({
      ...f,
      jpeg: Uint8Array.from(frame.map((b, j) => (j === frame.length - 3 ? (k * perSegment + i) & 0xff : j === frame.length - 4 ? k : b))),
      width: 448,
      height: 256,
    }));
    dense.push(s);
  }
  const framesOf = (k: number): SegmentFrames[] =>
    dense.slice(Math.max(0, k - W), k).map((s) => ({ segmentIndex: s.index, start: s.start, end: s.end, frames: s.keyframes }));
  const referenceLayout = new PromptTemplate(
    'You are given a video and the description of its preceding part.\n{frames}\nDescribe what is new, briefly.{focus}\n\n[Description of the preceding part]:\n{preceding}',
    MEMORIZE_TEMPLATE_SLOTS,
    'bench',
  );
  const layouts: [string, (k: number) => ChatMessage[]][] = [
    [
      'fixed places',
      (k) => memorizeMessages({ segment: dense[k]!, window: windowOf(k), windowFrames: framesOf(k), focusExamples: focus, windowSlots: W }),
    ],
    [
      'time order',
      (k) => memorizeMessages({ segment: dense[k]!, window: windowOf(k), windowFrames: framesOf(k), focusExamples: focus, windowSlots: 1 }),
    ],
    [
      "the reference's layout",
      (k) =>
        templateMessages(
          { prompt: referenceLayout, focus: null },
          { segment: dense[k]!, window: windowOf(k), windowFrames: framesOf(k), focusExamples: focus },
        ),
    ],
  ];
  for (const [label, request] of layouts) {
    const meter = new RequestMeter();
    for (let k = W; k < dense.length; k++) meter.observe(request(k));
    const { requests, textTokens, imageTokens, images, sharedPrefixTokens } = meter.totals;
    console.log(
      `(d) whole window at 2 fps, ${label}: ${(images / requests).toFixed(0)} images, ${(imageTokens / requests).toFixed(0)} visual + ${(textTokens / requests).toFixed(0)} text tokens per request; ` +
        `${((100 * sharedPrefixTokens) / (textTokens + imageTokens)).toFixed(1)} % shared with the previous request (${(sharedPrefixTokens / (requests - 1)).toFixed(0)} tokens)`,
    );
  }
};
