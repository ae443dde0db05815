import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conceptEmbeddings } from '../../test/support/conceptEmbeddings.js';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { Assembly } from '../assembly/Assembly.js';
import { configSchema } from '../config/schema.js';
import { silentLogger } from '../log.js';
import type { FailedSegment, Memory } from '../memory/Memory.js';
import { RunEpisodes } from '../memory/RunEpisodes.js';
import { NANOS_PER_SECOND, type RosNanos } from '../time.js';
import { LiveStages } from './LiveStages.js';

const SCENES = ['A red ball rolls under the sofa.', 'Someone waters the plants by the window.', 'The kettle boils in the kitchen.'];

/** A 64×48 grey rgb8 frame stamped at `seconds`. */
function frame(seconds: number) {
  const stamp = { sec: Math.floor(seconds), nanosec: Math.round((seconds % 1) * 1e9) };
  return {
    kind: 'image' as const,
    message: {
      header: { stamp, frame_id: 'camera' },
      height: 48,
      width: 64,
      encoding: 'rgb8',
      is_bigendian: 0,
      step: 64 * 3,
      data: new Uint8Array(64 * 48 * 3).fill(90),
    },
  };
}

describe('LiveStages (the node stages and parameter changes, without ROS)', function () {
  this.timeout(30_000);
  let dir: string;
  let server: StandInModelServer;
  let assembly: Assembly;
  let stages: LiveStages;
  let episodes: RunEpisodes;
  const stored: Memory[] = [];
  const failed: FailedSegment[] = [];
  const now = (): RosNanos => 5_000n * NANOS_PER_SECOND;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-live-stages-'));
    server = await new StandInModelServer().start();
    let n = 0;
    server.onChat = () => `{"description": "${SCENES[n++ % SCENES.length]}"}`;
    const config = configSchema.parse({
      store: { path: join(dir, 'memory.sqlite') },
      segment: { duration_s: 2 },
      audio: { type: 'none' },
      memorizer: { url: server.url, retries: 0, fallback: false },
      focus: { depth: 1 },
    });
    assembly = await Assembly.open(config, { logger: silentLogger, env: {} });
    stored.length = 0;
    failed.length = 0;
    // A store that already holds episodes 0-2 of this robot: the node's run claims episode 3.
    episodes = await RunEpisodes.claim({ store: assembly.store, robotId: config.robot_id, source: 'node:test', leaseMs: 30_000, adopt: 3 });
    stages = await LiveStages.start({
      assembly,
      episodes,
      now,
      logger: silentLogger,
      onStored: (m) => stored.push(m),
      onFailed: (f) => failed.push(f),
    });
  });
  afterEach(async () => {
    await stages.stop(5000);
    await episodes.release();
    await assembly.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function feed(from: number, to: number): Promise<void> {
    for (let t = from; t < to; t += 0.5) await stages.pipeline.push(frame(t));
  }

  it('replaces the pipeline for a segmentation change: the same episode goes on, the old one finishes, counts stay totals', async () => {
    await feed(1000, 1003);
    const first = stages.pipeline;
    assembly.config.segment.keyframes = 2;
    await stages.apply(['segment.keyframes']);
    assert.notEqual(stages.pipeline, first, 'a new pipeline');
    assert.equal(stages.inEffect.segment.keyframes, 2);
    await feed(1003, 1008);
    await stages.stop(5000);
    assert.ok(stored.length >= 3, `memories of both pipelines reach onStored (${stored.length})`);
    assert.ok(
      stored.every((m) => m.episode === 3),
      'the new pipeline continues the episode',
    );
    assert.equal(new Set(stored.map((m) => m.id)).size, stored.length, 'no id twice');
    assert.equal(stages.counts.stored, stored.length, 'the retired pipeline is counted');
    const images = server.chatRequests().map((r) => JSON.stringify(r.messages).match(/image_url/g)?.length ?? 0);
    // The retired pipeline may finish its last segment after the new one's first: look for the new count, not the last.
    assert.ok(images.includes(2), `segments after the change were made with the new keyframe count (${images.join(', ')})`);
  });

  it('keeps the pipeline for an answerer change, and the answerer for a segmentation change', async () => {
    const { pipeline, answerer } = stages;
    assembly.config.answerer.max_evidence = 3;
    await stages.apply(['answerer.max_evidence']);
    assert.equal(stages.pipeline, pipeline);
    assert.notEqual(stages.answerer, answerer);
    const second = stages.answerer;
    assembly.config.segment.window_memories = 2;
    await stages.apply(['segment.window_memories']);
    assert.equal(stages.answerer, second);
    assert.notEqual(stages.pipeline, pipeline);
  });

  it('puts the focus wrapper in when focus.depth goes to 2, and sets the depth alone within 0 and 1', async () => {
    const pipeline = stages.pipeline;
    assembly.config.focus.depth = 0;
    await stages.apply(['focus.depth']);
    assert.equal(stages.pipeline, pipeline, 'no wrapper needed below 2: the depth is set on the task focus');
    assert.equal(stages.focus.depth, 0);
    assembly.config.focus.depth = 2;
    await stages.apply(['focus.depth']);
    assert.notEqual(stages.pipeline, pipeline);
    assert.match(stages.memorizer, /4 candidates judged by taskmem-policy/);
    assert.deepEqual(Object.keys(stages.focusCost()).sort(), [
      'judge_calls',
      'judge_completion_tokens',
      'judge_prompt_tokens',
      'judged_segments',
      'pairs_kept',
      'ranked_by_vector',
      'trainings',
    ]);
  });

  it('embeds with the new source after a change of embedding.*: a new pipeline, and what was stored before is caught up', async () => {
    server.onEmbeddings = conceptEmbeddings;
    await feed(1000, 1003);
    await stages.pipeline.settle();
    assert.equal(stages.pipeline.embedding, null, 'no embedding source yet');
    const first = stages.pipeline;
    assembly.config.embedding.url = server.url;
    assembly.config.embedding.model = 'concepts-v1';
    await stages.apply(['embedding.url', 'embedding.model']);
    assert.notEqual(stages.pipeline, first, 'a new pipeline');
    await feed(1003, 1007);
    await stages.stop(5000);
    const { embedded, caughtUp } = stages.pipeline.embedding!;
    assert.ok(embedded >= 1, 'memories stored after the change have their vector');
    assert.ok(caughtUp >= 1, 'the memory stored before it is embedded by the catch-up');
    assert.equal(await assembly.store.countUnembedded('concepts-v1'), 0);
    assert.equal(await assembly.store.count(), stored.length);
  });

  it('rejects a change whose stages cannot be made and keeps the previous ones, in effect', async () => {
    const { pipeline, answerer } = stages;
    const missing = join(dir, 'no-such-model.onnx');
    assembly.config.embedding.onnx_path = missing;
    await assert.rejects(stages.apply(['embedding.onnx_path']), (error: Error) => error.message.includes(missing));
    assert.equal(stages.pipeline, pipeline);
    assert.equal(stages.answerer, answerer);
    assert.equal(stages.inEffect.embedding.onnx_path, '', 'what is in effect is still the previous value');
    // The caller sets the parameter back; that change applies like any other.
    assembly.config.embedding.onnx_path = '';
    await stages.apply(['embedding.onnx_path']);
    await feed(1000, 1003);
    await stages.pipeline.settle();
    assert.equal(stored.length, 1, 'the stages still memorize');
  });
});
