import assert from 'node:assert/strict';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import { QoS, type DoubleNode } from '../support/rclnodejs-double/index.js';
import { startHarness, until, type Harness } from './nodeUnderTest.js';
import { readQuoted } from '../support/promptReading.js';
import { conceptEmbeddings } from '../support/conceptEmbeddings.js';
import type { ChatRequest } from '../support/StandInModelServer.js';
import { changingReplies } from './scenes.js';

const SENSOR = { qos: 'qos_profile_sensor_data' };
/** Reliable and transient local: what a subscriber that wants the history of ~/memories asks for. */
const LATCHED = {
  qos: new QoS(
    QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    100,
    QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
    QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL,
  ),
};

interface MemoryMsg {
  id: string;
  episode: number;
  segment_index: number;
  start: { sec: number; nanosec: number };
  end: { sec: number; nanosec: number };
  created_at: { sec: number; nanosec: number };
  text: string;
}

function image(sec: number, nanosec = 0, fields: Partial<{ encoding: string; data: Uint8Array; step: number }> = {}) {
  const width = 64;
  const height = 48;
  return {
    header: { stamp: { sec, nanosec }, frame_id: 'camera' },
    height,
    width,
    encoding: fields.encoding ?? 'rgb8',
    is_bigendian: 0,
    step: fields.step ?? width * 3,
    data: fields.data ?? new Uint8Array(width * height * 3).fill(90),
  };
}

/** Frames every half second over [from, to) seconds of stamp time, published as a camera driver would. */
async function publishFrames(camera: { publish(m: object): void }, from: number, to: number): Promise<void> {
  for (let t = from; t < to; t += 0.5) {
    camera.publish(image(Math.floor(t), Math.round((t % 1) * 1e9)));
    // Let the executor deliver, as frames spaced in time would be.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function memoriesOf(tester: DoubleNode, topic = '/taskmem/memories'): MemoryMsg[] {
  const received: MemoryMsg[] = [];
  tester.createSubscription('taskmem/msg/Memory', topic, LATCHED, (m) => received.push(m as never));
  return received;
}

describe('MemoryNode live stream (through the rclnodejs double)', function () {
  this.timeout(20_000);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('applies `ros2 param set segment.keyframes` from the next segment on, in the same episode', async () => {
    h = await startHarness({ argv: ['-p', 'segment.duration_s:=2.0'] });
    h.server.onChat = changingReplies();
    const memories = memoriesOf(h.tester);
    const camera = h.tester.createPublisher('sensor_msgs/msg/Image', '/camera/image_raw', SENSOR);
    const imagesPerRequest = () =>
      h!.server
        .chatRequests()
        .map(
          (r) => r.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content)).filter((p) => p.type === 'image_url').length,
        );
    await publishFrames(camera, 1000, 1003);
    await until(() => memories.length >= 1, 'the first memory', 10_000);
    assert.equal(imagesPerRequest()[0], 4, 'every frame of the 2 s segment (8 keyframes allowed)');

    assert.equal(h.graph.paramSet('/taskmem', 'segment.keyframes', '2').successful, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await publishFrames(camera, 1003, 1008);
    await until(() => memories.length >= 3, 'memories after the change', 10_000);
    assert.equal(imagesPerRequest().at(-1), 2);
    assert.ok(
      memories.every((m) => m.episode === 0),
      JSON.stringify(memories.map((m) => m.id)),
    );
    assert.equal(new Set(memories.map((m) => m.id)).size, memories.length, 'no duplicate ids');
  });

  it('at focus depth 2 keeps the candidate the judge prefers both ways round, and reports the judge cost on /diagnostics', async () => {
    h = await startHarness({
      argv: ['-p', 'segment.duration_s:=2.0', '-p', 'diagnostics_period_s:=0.1', '-p', 'focus.depth:=2', '-p', 'focus.candidates:=3'],
    });
    // Policy requests carry images; judge requests quote descriptions A and B.
    const judgedPair = (request: ChatRequest) => readQuoted(request, ['task_questions', 'descriptions']).blocks.get('descriptions');
    h.server.onChat = (request) => {
      const pair = judgedPair(request);
      if (pair !== undefined) {
        const { A, B } = JSON.parse(pair) as { A: string; B: string };
        return A.includes('red') ? 'VERDICT: A' : B.includes('red') ? 'VERDICT: B' : 'VERDICT: TIE';
      }
      return [
        '{"description": "A person walks past the window."}',
        '{"description": "A red ball rolls under the sofa."}',
        '{"description": "The kettle boils in the kitchen."}',
      ];
    };
    const memories = memoriesOf(h.tester);
    const diagnostics: { status: { values: { key: string; value: string }[] }[] }[] = [];
    h.tester.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', {}, (m) => diagnostics.push(m as never));
    const goal = h.graph.sendGoal('/taskmem/ask', {
      question: 'What colour was the ball?',
      choices: [],
      since: { sec: 0, nanosec: 0 },
      until: { sec: 0, nanosec: 0 },
      task_group: 'colour',
    });
    await goal.result;
    const camera = h.tester.createPublisher('sensor_msgs/msg/Image', '/camera/image_raw', SENSOR);
    await publishFrames(camera, 1000, 1003);
    await until(() => memories.length >= 1, 'a memory written under focus', 10_000);
    const memory = memories[0] as MemoryMsg & { task_group: string; focus_depth: number };
    assert.equal(memory.text, 'A red ball rolls under the sofa.');
    assert.equal(memory.task_group, 'colour');
    assert.equal(memory.focus_depth, 2);
    const judged = h.server.chatRequests().filter((r) => judgedPair(r) !== undefined);
    assert.equal(judged.length, 6, 'three pairs, each asked both ways round');
    assert.ok(
      judged.every((r) => String(r.messages.at(-1)!.content).includes('What colour was the ball?')),
      'the judge sees the task',
    );
    await until(
      () => diagnostics.some((d) => d.status[0]!.values.some((v) => v.key === 'focus.judge_calls' && v.value === '6')),
      'the judge cost on /diagnostics',
    );
    const values = Object.fromEntries(diagnostics.at(-1)!.status[0]!.values.map((v) => [v.key, v.value]));
    assert.equal(values['focus.group'], 'colour');
    assert.ok(Number(values['focus.judge_prompt_tokens']) > 0);
  });

  it('embeds every memory as it stores it; while the embedding endpoint fails it stores them without, catches up, and says so on /diagnostics', async () => {
    h = await startHarness({ argv: ['-p', 'segment.duration_s:=2.0', '-p', 'diagnostics_period_s:=0.1'], embeddingModel: 'concepts-v1' });
    h.server.onChat = changingReplies();
    h.server.onEmbeddings = conceptEmbeddings;
    // The first new memory's request and its two retries fail.
    h.server.failNext({ kind: 'status', status: 503 }, 3, 'embeddings');
    const memories = memoriesOf(h.tester);
    const diagnostics: { status: { level: number; values: { key: string; value: string }[] }[] }[] = [];
    h.tester.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', {}, (m) => diagnostics.push(m as never));
    const camera = h.tester.createPublisher('sensor_msgs/msg/Image', '/camera/image_raw', SENSOR);
    await publishFrames(camera, 1000, 1007);
    await until(() => memories.length >= 3, 'three memories', 15_000);
    const valuesOf = (d: (typeof diagnostics)[number]) => Object.fromEntries(d.status[0]!.values.map((v) => [v.key, v.value]));
    await until(
      () => diagnostics.some((d) => Number(valuesOf(d)['embedding.caught_up']) >= 1 && valuesOf(d)['embedding.without_vector'] === '0'),
      'the memory stored without its vector caught up',
      15_000,
    );
    const values = valuesOf(diagnostics.at(-1)!);
    assert.equal(values['embedding.model'], 'concepts-v1');
    assert.ok(Number(values['embedding.stored_without_vector']) >= 1, JSON.stringify(values));
    assert.equal(values['embedding.failures.http_503'], '1');
    const store = new SqliteMemoryStore({ path: h.dbPath });
    try {
      assert.equal(await store.countUnembedded('concepts-v1'), 0, 'every memory stored so far has its vector');
      assert.ok((await store.count()) >= 3);
    } finally {
      await store.close();
    }
  });
});
