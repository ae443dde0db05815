import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import { Assembly } from '../../src/assembly/Assembly.js';
import { ingestRecording } from '../../src/ingest/RecordingIngest.js';
import { silentLogger } from '../../src/log.js';
import type { MemoryStore } from '../../src/memory/MemoryStore.js';
import { McapRecording } from '../../src/bag/McapRecording.js';
import { MemoryMcapWriter } from '../../src/bag/MemoryMcapWriter.js';
import type { MemoryMsg } from '../../src/ros/rosMessages.js';
import { fromRosTime, NANOS_PER_SECOND } from '../../src/time.js';
import { StandInModelServer } from '../support/StandInModelServer.js';
import { writeRecording, type RecordingScript } from '../support/recording.js';

const EVENTS = [
  'A green room with a sign reading KITCHEN; someone says the keys are on the table.',
  'The scene turns red and a sign reads KEYS ON TABLE.',
  'A blue wall with an EXIT sign comes into view.',
];

describe('taskmem ingest pipeline over a rosbag2 recording', function () {
  this.timeout(60_000);
  let dir: string;
  let script: RecordingScript;
  let server: StandInModelServer;
  let assembly: Assembly;
  let store: MemoryStore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-ingest-'));
    script = await writeRecording({ path: join(dir, 'run1.mcap'), durationS: 30, fps: 2 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    server = await new StandInModelServer().start();
    let n = 0;
    server.onChat = () => `<think>seen</think>{"description": "${EVENTS[n++ % EVENTS.length]}"}`;
    assembly = await Assembly.open(config(join(dir, `memory-${Date.now()}.sqlite`)), { logger: silentLogger, env: {} });
    store = assembly.store;
  });
  afterEach(async () => {
    await assembly.close();
    await server.stop();
  });

  function config(storePath: string): Config {
    return configSchema.parse({
      robot_id: 'r1',
      ...script.config,
      pose: { ...script.config.pose },
      memorizer: { url: server.url, retries: 1, retry_backoff_s: 0, fallback: false },
      store: { path: storePath },
    });
  }

  async function ingest(options: { memoriesOut?: string; signal?: AbortSignal } = {}) {
    const { memoriesOut, ...rest } = options;
    return ingestRecording({
      path: script.path,
      config: assembly.config,
      store,
      openPipeline: (o) => assembly.pipeline({ ...o, focus: null }),
      memoriesOut: memoriesOut ? await MemoryMcapWriter.create(memoriesOut) : null,
      ...rest,
    });
  }

  it('stores one memory per 10 s with the recording times, keyframes and window in the prompt, and writes them to MCAP', async () => {
    const memoriesOut = join(dir, 'memories.mcap');
    const result = await ingest({ memoriesOut });
    assert.equal(result.stored, 3);
    assert.equal(result.failed, 0);
    assert.equal(result.episode, 0);
    const memories = (await store.recall({ robotId: 'r1', limit: 10 })).memories
      .map((s) => s.memory)
      .sort((a, b) => a.segmentIndex - b.segmentIndex);
    assert.deepEqual(
      memories.map((m) => [m.episode, m.segmentIndex, m.start - script.start, m.end - script.start]),
      [
        [0, 0, 0n, 10n * NANOS_PER_SECOND],
        [0, 1, 10n * NANOS_PER_SECOND, 20n * NANOS_PER_SECOND],
        [0, 2, 20n * NANOS_PER_SECOND, 30n * NANOS_PER_SECOND],
      ],
    );
    assert.deepEqual(
      memories.map((m) => m.text),
      EVENTS,
    );
    assert.ok(
      memories.every((m) => m.pose !== null && m.pose.frameId === 'map'),
      'poses of the recording reach the memories',
    );
    assert.ok(
      memories.every((m) => m.createdAt >= m.end),
      'a memory is written after its segment ends, in recording time',
    );

    const requests = server.chatRequests().map((r) => JSON.stringify(r.messages));
    assert.equal(requests.length, 3);
    for (const r of requests) assert.equal(r.match(/data:image\/jpeg;base64,/g)?.length, 8, 'segment.keyframes images per request');
    assert.ok(requests[2]!.includes(EVENTS[0]!) && requests[2]!.includes(EVENTS[1]!), 'the window holds the two earlier memories');

    const recording = await McapRecording.open(memoriesOut);
    try {
      const read: { logTime: bigint; message: MemoryMsg }[] = [];
      for await (const m of recording.messages({ topics: ['/taskmem/memories'] }))
        read.push({ logTime: m.logTime, message: m.message as MemoryMsg });
      assert.deepEqual(
        read.map((r) => r.logTime - script.start),
        [10n, 20n, 30n].map((s) => s * NANOS_PER_SECOND),
      );
      assert.deepEqual(
        read.map((r) => fromRosTime(r.message.start)),
        memories.map((m) => m.start),
      );
      assert.deepEqual(
        read.map((r) => r.message.text),
        EVENTS,
      );
    } finally {
      await recording.close();
    }
  });

  it('stores nothing twice when the same recording is ingested again, and asks the model nothing', async () => {
    await ingest();
    const requests = server.chatRequests().length;
    const again = await ingest();
    assert.deepEqual([again.stored, again.skipped, again.episode, again.resumed], [0, 3, 0, true]);
    assert.equal(server.chatRequests().length, requests);
    assert.equal(await store.count(), 3);
  });

  it('continues, in a store written before recordings were known by content, the episode that store gave the recording', async () => {
    // What an ingest before schema 7 left: the episode it gave the recording, and its progress, under its path.
    const recording = await McapRecording.open(script.path);
    const { path, size, start, end } = recording.identity;
    await recording.close();
    const old = `ingest:${path}:${size}:${start}:${end}`;
    await store.setProgress(`${old}#episode`, 2n);
    await store.setProgress(old, start + 10n * NANOS_PER_SECOND);
    const result = await ingest();
    assert.deepEqual([result.episode, result.resumed, result.stored], [2, true, 3]);
    assert.deepEqual(
      (await store.recall({ robotId: 'r1', limit: 10 })).memories.map((s) => s.memory.episode),
      [2, 2, 2],
    );
  });

  it('resumes after an interruption and retries segments that failed', async () => {
    const stop = new AbortController();
    server.failNext({ kind: 'status', status: 503 }, 2);
    let first = true;
    const onChat = server.onChat;
    server.onChat = (request) => {
      if (!first) stop.abort();
      first = false;
      return onChat(request);
    };
    const interrupted = await ingest({ signal: stop.signal });
    assert.equal(interrupted.interrupted, true);
    assert.ok(interrupted.stored >= 1 && interrupted.stored < 3, `stored ${interrupted.stored} before the stop`);
    assert.ok(
      (await store.failures('r1')).some((f) => f.segmentIndex === 0),
      'the first segment failed on 503 twice',
    );

    server.onChat = onChat;
    const resumed = await ingest();
    assert.equal(resumed.resumed, true);
    assert.equal(resumed.failed, 0);
    assert.equal(resumed.skipped, interrupted.stored);
    assert.equal(await store.count(), 3);
    assert.deepEqual(await store.failures('r1'), [], 'a failure is cleared once its segment is stored');
  });
});
