import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { configSchema, type Config } from '../../src/config/schema.js';
import { MemoryPipeline } from '../../src/pipeline/MemoryPipeline.js';
import { ImageConverter } from '../../src/media/ImageConverter.js';
import { PolicyMemorizer } from '../../src/memorize/PolicyMemorizer.js';
import { FocusedMemorizer } from '../../src/focus/FocusedMemorizer.js';
import { LexicalEmbedder } from '../../src/focus/LexicalEmbedder.js';
import { LlmPairwiseJudge } from '../../src/focus/PairwiseJudge.js';
import { silentLogger } from '../../src/log.js';
import { keyframeThumbnails } from '../../src/media/keyframeThumbnails.js';
import OpenAI from 'openai';
import type { Memorizer } from '../../src/memorize/Memorizer.js';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import { memoryId } from '../../src/memory/Memory.js';
import type { Segment } from '../../src/segment/Segment.js';
import { NANOS_PER_SECOND, toRosTime } from '../../src/time.js';
import { StandInModelServer } from '../support/StandInModelServer.js';

const T0 = 1_750_000_000n * NANOS_PER_SECOND;

/** Distinct one-sentence memories, so the quality gate sees no repetition between neighbours. */
const EVENTS = [
  'A woman in a red coat unlocks the front door.',
  'She hangs a blue umbrella on the hook.',
  'A grey cat jumps onto the kitchen counter.',
  'Someone fills the kettle and switches it on.',
  'Two children carry a cardboard box upstairs.',
  'The dog barks at the delivery van outside.',
  'A man waters the plants on the windowsill.',
  'Keys are dropped into the bowl by the stairs.',
];

/** The stand-in policy: the next event of the list, after a thinking block. */
function policyReplies(): () => string {
  let n = 0;
  return () => `<think>looking</think>{"description": "${EVENTS[n++ % EVENTS.length]}"}`;
}

describe('MemoryPipeline', () => {
  let dir: string;
  let server: StandInModelServer;
  let store: SqliteMemoryStore;
  let jpeg: Uint8Array;
  before(async () => {
    jpeg = new Uint8Array(
      await sharp({ create: { width: 64, height: 32, channels: 3, background: '#356' } })
        .jpeg()
        .toBuffer(),
    );
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-pipeline-'));
    server = await new StandInModelServer().start();
    server.onChat = policyReplies();
    store = new SqliteMemoryStore({ path: join(dir, 'memory.sqlite') });
  });
  afterEach(async () => {
    await store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function config(overrides: Record<string, unknown> = {}): Config {
    return configSchema.parse({ robot_id: 'r1', memorizer: { url: server.url, retries: 1, retry_backoff_s: 0, ...overrides } });
  }

  /** A configuration whose policy URL had a server a moment ago and now refuses connections. */
  async function unreachableConfig(fallback: boolean): Promise<Config> {
    const gone = await new StandInModelServer().start();
    const url = gone.url;
    await gone.stop();
    return configSchema.parse({ robot_id: 'r1', memorizer: { url, retries: 0, fallback } });
  }

  function segment(index: number, episode = 0): Segment {
    const start = T0 + BigInt(index) * 10n * NANOS_PER_SECOND;
    return {
      robotId: 'r1',
      episode,
      index,
      start,
      end: start + 10n * NANOS_PER_SECOND,
      keyframes: [0, 5].map((s) => ({ stamp: start + BigInt(s) * NANOS_PER_SECOND, jpeg, width: 64, height: 32 })),
      speech: [],
      transcript: [],
      poses: [],
      dropped: {},
    };
  }

  function policy(cfg: Config): PolicyMemorizer {
    return PolicyMemorizer.fromConfig(cfg, { now: () => T0 + 1000n * NANOS_PER_SECOND });
  }

  it('stores one memory per segment, in order, each prompt carrying the keyframes and the window of earlier memories', async () => {
    server.onChat = policyReplies();
    const cfg = config();
    const pipeline = new MemoryPipeline({
      converter: new ImageConverter(cfg.camera),
      memorizer: policy(cfg),
      store,
      config: cfg,
      overflow: 'wait',
    });
    const stored: string[] = [];
    pipeline.on('stored', (m) => stored.push(m.id));
    for (let i = 0; i < 6; i++) await pipeline.enqueue(segment(i));
    await pipeline.drain();
    await pipeline.close();

    assert.deepEqual(
      stored,
      [0, 1, 2, 3, 4, 5].map((i) => memoryId('r1', 0, segment(i).start)),
    );
    const sixth = await store.get(stored[5]!);
    assert.equal(sixth?.text, EVENTS[5]);
    assert.equal(sixth?.start, segment(5).start);
    assert.equal(sixth?.end, segment(5).end);
    assert.equal(sixth?.episode, 0);
    const request = JSON.stringify(server.chatRequests()[5]!.messages);
    assert.equal(request.match(/data:image\/jpeg;base64,/g)?.length, 2, 'both keyframes are sent');
    // Window: 50 s ending at the segment's end holds the 4 previous memories, not the first one.
    for (const n of [1, 2, 3, 4]) assert.ok(request.includes(EVENTS[n]!), `memory ${n} is in the window`);
    assert.ok(!request.includes(EVENTS[0]!), 'the first memory is outside the 50 s window');
  });

  it('skips audio whose AudioInfo says sample_rate 1, counted and logged once, instead of resampling it for minutes', async () => {
    const cfg = config();
    const warnings: string[] = [];
    const heard: number[] = [];
    const pipeline = new MemoryPipeline({
      converter: new ImageConverter(cfg.camera),
      memorizer: policy(cfg),
      store,
      config: cfg,
      speech: {
        push: async (chunk) => void heard.push(chunk.samples.length),
        take: async () => ({ speech: [], transcript: [] }),
        reset() {},
        abort() {},
      },
      logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    await pipeline.push({
      kind: 'audio_info',
      message: { channels: 1, sample_rate: 1, sample_format: 'S16LE', bitrate: 0, coding_format: 'wave' },
    });
    // Ten seconds of 16 kHz audio in 1 s messages.
    for (let k = 0; k < 10; k++) {
      const stamp = toRosTime(T0 + BigInt(k) * NANOS_PER_SECOND);
      await pipeline.push({
        kind: 'audio_data_stamped',
        message: { header: { stamp, frame_id: 'mic' }, audio: { data: new Uint8Array(32_000) } },
      });
    }
    await pipeline.drain();
    await pipeline.close();
    assert.equal(pipeline.dropped.audio_bad_rate, 10);
    assert.deepEqual(heard, [], 'no audio reached the speech track');
    assert.equal(warnings.filter((w) => /sample rate 1 Hz is outside 8000–384000 Hz/.test(w)).length, 1);
  });

  it('drops a camera message without the fields of sensor_msgs/Image, counted and logged once, instead of crashing', async () => {
    const cfg = config();
    const warnings: string[] = [];
    const pipeline = new MemoryPipeline({
      converter: new ImageConverter(cfg.camera),
      memorizer: policy(cfg),
      store,
      config: cfg,
      logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    const headless = { height: 2, width: 2, encoding: 'rgb8', is_bigendian: 0, step: 6, data: new Uint8Array(12) };
    for (let i = 0; i < 3; i++) await pipeline.push({ kind: 'image', message: headless as never });
    await pipeline.drain();
    await pipeline.close();
    assert.equal(pipeline.dropped.malformed_image, 3);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /a sensor_msgs\/msg\/Image message has no field header\.stamp .*; dropped/);
  });

  it('settles: waits for the segments closed so far and stays open for more', async () => {
    const cfg = config();
    const pipeline = new MemoryPipeline({ converter: new ImageConverter(cfg.camera), memorizer: policy(cfg), store, config: cfg });
    await pipeline.enqueue(segment(0));
    await pipeline.enqueue(segment(1));
    await pipeline.settle();
    assert.equal(await store.count(), 2);
    await pipeline.enqueue(segment(2));
    await pipeline.drain();
    await pipeline.close();
    assert.equal(await store.count(), 3);
  });

  it('records a segment the server keeps failing as failed, and goes on with the next', async () => {
    const cfg = config();
    server.failNext({ kind: 'status', status: 500 }, 2);
    const pipeline = new MemoryPipeline({
      converter: new ImageConverter(cfg.camera),
      memorizer: policy(cfg),
      store,
      config: cfg,
      overflow: 'wait',
    });
    const failed: string[] = [];
    pipeline.on('failed', (f) => failed.push(`${f.id}: ${f.reason}`));
    await pipeline.enqueue(segment(0));
    await pipeline.enqueue(segment(1));
    await pipeline.drain();
    await pipeline.close();
    assert.equal(failed.length, 1);
    assert.match(failed[0]!, /500/);
    assert.deepEqual(
      (await store.failures('r1')).map((f) => f.start),
      [segment(0).start],
    );
    assert.ok(await store.get(memoryId('r1', 0, segment(1).start)));
    assert.equal(await store.count(), 1);
  });

  for (const policyName of ['drop_oldest', 'drop_newest'] as const) {
    it(`under a slow server, a full queue drops by ${policyName} and says so once`, async () => {
      server.failNext({ kind: 'late', delayMs: 400 });
      const cfg = config({ queue_size: 1, drop_policy: policyName });
      const warnings: string[] = [];
      const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
      const pipeline = new MemoryPipeline({
        converter: new ImageConverter(cfg.camera),
        memorizer: policy(cfg),
        store,
        config: cfg,
        logger,
      });
      const dropped: number[] = [];
      pipeline.on('dropped', (s) => dropped.push(s.index));
      for (let i = 0; i < 5; i++) await pipeline.enqueue(segment(i));
      await pipeline.drain();
      await pipeline.close();
      const kept = (await store.recall({ robotId: 'r1', limit: 10 })).memories.map((s) => s.memory.segmentIndex).sort();
      if (policyName === 'drop_oldest') {
        assert.deepEqual(dropped, [1, 2, 3]);
        assert.deepEqual(kept, [0, 4]);
      } else {
        assert.deepEqual(dropped, [2, 3, 4]);
        assert.deepEqual(kept, [0, 1]);
      }
      assert.equal(pipeline.counts.dropped, 3);
      assert.equal(warnings.filter((w) => /dropped/.test(w)).length, 2, 'the first drop at once, the rest in one report at close');
      assert.match(warnings.at(-1)!, /2 segment\(s\) dropped .*3 in all/);
    });
  }

  it('skips a segment whose memory is already stored without asking the model', async () => {
    const cfg = config();
    for (let run = 0; run < 2; run++) {
      const pipeline = new MemoryPipeline({
        converter: new ImageConverter(cfg.camera),
        memorizer: policy(cfg),
        store,
        config: cfg,
        overflow: 'wait',
      });
      await pipeline.enqueue(segment(0));
      await pipeline.enqueue(segment(1));
      await pipeline.drain();
      await pipeline.close();
      assert.deepEqual(
        pipeline.counts,
        run === 0
          ? { stored: 2, skipped: 0, failed: 0, dropped: 0, fallback: 0 }
          : { stored: 0, skipped: 2, failed: 0, dropped: 0, fallback: 0 },
      );
    }
    assert.equal(server.chatRequests().length, 2);
    assert.equal(await store.count(), 2);
  });

  it('falls back when the policy endpoint is unreachable, only if memorizer.fallback is true', async () => {
    const fallback: Memorizer = {
      name: 'fallback',
      memorize: async (s) => ({
        kind: 'memory',
        memory: {
          id: memoryId(s.robotId, s.episode, s.start),
          robotId: s.robotId,
          episode: s.episode,
          segmentIndex: s.index,
          start: s.start,
          end: s.end,
          createdAt: s.end,
          text: 'Two keyframes of a dim room.',
          source: 'perception',
          taskGroup: null,
          focusDepth: 0,
          quality: { format: true, hygiene: null, preference: null, descriptionTokens: 6 },
          pose: null,
          model: '',
          template: 'perception@1',
          transcript: [],
          people: [],
          thumbnails: [],
        },
      }),
    };
    for (const allowed of [true, false]) {
      const cfg = await unreachableConfig(allowed);
      const pipeline = new MemoryPipeline({
        converter: new ImageConverter(cfg.camera),
        memorizer: policy(cfg),
        fallback,
        store,
        config: cfg,
        overflow: 'wait',
      });
      await pipeline.enqueue(segment(allowed ? 0 : 1));
      await pipeline.drain();
      await pipeline.close();
      assert.equal(pipeline.counts.fallback, allowed ? 1 : 0);
    }
    assert.equal((await store.get(memoryId('r1', 0, segment(0).start)))?.source, 'perception');
    const failures = await store.failures('r1');
    assert.deepEqual(
      failures.map((f) => f.segmentIndex),
      [1],
    );
    assert.match(failures[0]!.reason, /unreachable/);
  });

  it('on close, finishes the segment in flight and records the waiting ones as failed', async () => {
    server.failNext({ kind: 'late', delayMs: 200 });
    const cfg = config({ queue_size: 8 });
    const pipeline = new MemoryPipeline({ converter: new ImageConverter(cfg.camera), memorizer: policy(cfg), store, config: cfg });
    for (let i = 0; i < 4; i++) await pipeline.enqueue(segment(i));
    await pipeline.close();
    assert.equal(await store.count(), 1);
    assert.deepEqual(
      (await store.failures('r1')).map((f) => [f.segmentIndex, f.reason]),
      [1, 2, 3].map((i) => [i, 'not memorized before shutdown']),
    );
    await assert.rejects(pipeline.enqueue(segment(5)), /MemoryPipeline#enqueue: the pipeline is closed/);
  });

  it('makes thumbnails once per stored segment, however many candidates focus depth 2 samples', async () => {
    const next = policyReplies();
    // Every candidate the same event (they all pass the gate); the judge sees no difference.
    server.onChat = (r) => (String(r.messages[0]!.content).startsWith('You judge memories') ? 'VERDICT: TIE' : next());
    const cfg = config({ retries: 0 });
    const withThumbnails = new SqliteMemoryStore({ path: join(dir, 'thumbnails.sqlite'), thumbnails: true });
    const now = () => T0 + 1000n * NANOS_PER_SECOND;
    const memorizer = new FocusedMemorizer({
      source: policy(cfg),
      store: withThumbnails,
      judge: new LlmPairwiseJudge({ client: new OpenAI({ baseURL: server.url, apiKey: 'none', maxRetries: 0 }), model: 'judge' }),
      embedder: new LexicalEmbedder(),
      candidates: 4,
      maxJudgeCalls: 12,
      now,
      logger: silentLogger,
    });
    let made = 0;
    const pipeline = new MemoryPipeline({
      converter: new ImageConverter(cfg.camera),
      memorizer,
      store: withThumbnails,
      config: cfg,
      overflow: 'wait',
      focus: () => ({ group: 'signs', examples: ['What did the sign say?'], depth: 2 }),
      thumbnails: (keyframes) => {
        made++;
        return keyframeThumbnails(keyframes);
      },
    });
    try {
      for (let i = 0; i < 3; i++) await pipeline.enqueue(segment(i));
      await pipeline.drain();
      await pipeline.close();
      const sampled = server.chatRequests().filter((r) => r.n === 4);
      assert.equal(sampled.length, 3, 'four candidates sampled for each segment');
      assert.equal(made, 3, 'one set of thumbnails per stored segment, not one per candidate');
      const batch = await policy(cfg).sampleCandidates(segment(5), { window: [], focus: null }, 4);
      assert.ok(
        'candidates' in batch && batch.candidates.every((c) => c.memory?.thumbnails.length === 0),
        'candidates come without thumbnails',
      );
      for (let i = 0; i < 3; i++) {
        const stored = await withThumbnails.get(memoryId('r1', 0, segment(i).start));
        assert.equal(stored?.focusDepth, 2);
        assert.equal(stored?.thumbnails.length, 2, 'one thumbnail per keyframe');
        const meta = await sharp(stored.thumbnails[0]).metadata();
        assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 64, 32]);
      }
    } finally {
      await withThumbnails.close();
    }
  });

  it('cancels the segment in flight when closed with abort, and its model requests leave no listener on the signal', async () => {
    const cfg = config();
    const signals: AbortSignal[] = [];
    const memorizer: Memorizer = {
      name: 'signal recorder',
      memorize: async (seg, context, signal) => {
        signals.push(signal!);
        if (seg.index < 2) return policy(cfg).memorize(seg, context, signal);
        // The last segment hangs until it is cancelled, as a request to a model that does not answer would.
        await new Promise((resolve) => signal!.addEventListener('abort', resolve, { once: true }));
        throw signal!.reason;
      },
    };
    const pipeline = new MemoryPipeline({ converter: new ImageConverter(cfg.camera), memorizer, store, config: cfg });
    for (let i = 0; i < 3; i++) await pipeline.enqueue(segment(i));
    while (signals.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    // The two policy segments' requests are done: only the hanging segment's own listener is left on the signal
    // (the plain openai client would have left one per request, for as long as the pipeline runs).
    assert.equal(getEventListeners(signals[2]!, 'abort').length, 1);
    await pipeline.close({ abort: true });
    assert.equal(signals[2]!.aborted, true);
    assert.deepEqual(
      (await store.failures('r1')).map((f) => [f.segmentIndex, f.reason]),
      [[2, 'cancelled at shutdown']],
    );
    assert.equal(await store.count(), 2);
  });
});
