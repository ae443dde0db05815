import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryNode } from '../../src/ros/MemoryNode.js';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import { GoalStatus, QoS, RclnodejsDouble } from '../support/rclnodejs-double/index.js';
import { memoryAt, startHarness, until, type Harness } from './nodeUnderTest.js';

const NODE = '/taskmem';

describe('MemoryNode parameters (through the rclnodejs double)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('refuses an invalid override at startup, naming the parameter, the value and the range', async () => {
    await assert.rejects(startHarness({ argv: ['-p', 'segment.keyframes:=500'] }), (error: Error) => {
      assert.match(error.message, /segment\.keyframes = 500 \(from --ros-args\) is invalid: an integer from 1 to 64/);
      return true;
    });
  });

  it('applies `ros2 param set` on a live parameter and refuses it on a read-only one', async () => {
    h = await startHarness();
    const store = new SqliteMemoryStore({ path: h.dbPath });
    for (let i = 0; i < 5; i++) await store.put(memoryAt('robot', 0, 100 + 10 * i, `the robot saw box number ${i}`));
    await store.close();

    const recall = () => h!.graph.callService<{ memories: unknown[] }>(`${NODE}/recall`, recallRequest());
    assert.equal((await recall()).memories.length, 5);
    const set = h.graph.paramSet(NODE, 'answerer.max_evidence', '2');
    assert.deepEqual(set, { successful: true, reason: '' });
    assert.equal((await recall()).memories.length, 2, 'recall without a limit uses the new answerer.max_evidence');

    const readOnly = h.graph.paramSet(NODE, 'camera.topic', '/other/image');
    assert.equal(readOnly.successful, false);
    assert.match(readOnly.reason, /camera\.topic is readonly/);
    assert.equal(h.graph.paramGet(NODE, 'camera.topic'), 'camera/image_raw');

    const badChoice = h.graph.paramSet(NODE, 'memorizer.drop_policy', 'drop_random');
    assert.equal(badChoice.successful, false);
    assert.match(
      badChoice.reason,
      /memorizer\.drop_policy = "drop_random" \(from ros2 param set\) is invalid: one of drop_oldest, drop_newest/,
    );
    assert.equal(h.node.config.memorizer.drop_policy, 'drop_oldest');
  });

  it('refuses with `ros2 param set` what the schema refuses, so `ros2 param get` shows only values in effect', async () => {
    h = await startHarness();
    const cases: [string, string, RegExp][] = [
      [
        'answerer.time_zone',
        'Mars/Olympus',
        /answerer\.time_zone = "Mars\/Olympus" \(from ros2 param set\) is invalid: "Mars\/Olympus" is not an IANA time zone/,
      ],
      [
        'focus.adapters',
        '[counting]',
        /focus\.adapters = "counting" \(from ros2 param set\) is invalid: entry "counting" is not of the form group=served_model/,
      ],
      ['focus.grouping', 'embedding', /focus\.grouping = "embedding" \(from ros2 param set\) is invalid: needs an embedding source/],
    ];
    for (const [name, value, reason] of cases) {
      const before = h.graph.paramGet(NODE, name);
      const set = h.graph.paramSet(NODE, name, value);
      assert.equal(set.successful, false, name);
      assert.match(set.reason, reason);
      assert.deepEqual(h.graph.paramGet(NODE, name), before, `${name} is unchanged`);
    }
    // With its prerequisite in place the same value is taken.
    assert.equal(h.graph.paramSet(NODE, 'embedding.url', h.server.url).successful, true);
    assert.equal(h.graph.paramSet(NODE, 'focus.grouping', 'embedding').successful, true);
    assert.equal(h.node.config.focus.grouping, 'embedding');
    // …and the prerequisite cannot be taken away while it is needed.
    assert.equal(h.graph.paramSet(NODE, 'embedding.url', '').successful, false);
  });

  it('sets a parameter back when the stages it asks for cannot be made, the previous ones still serving', async () => {
    h = await startHarness();
    const store = new SqliteMemoryStore({ path: h.dbPath });
    await store.put(memoryAt('robot', 0, 100, 'The red keys lie on the kitchen table.'));
    await store.close();
    const missing = `${h.dbPath}.no-such-model.onnx`;
    assert.equal(h.graph.paramSet(NODE, 'embedding.onnx_path', missing).successful, true, 'a path is a valid value');
    await until(() => h!.graph.paramGet(NODE, 'embedding.onnx_path') === '', 'the parameter set back to the value in effect');
    assert.equal(h.node.config.embedding.onnx_path, '');
    const goal = h.graph.sendGoal(`${NODE}/ask`, askGoal('where are the keys?'));
    const { status, result } = (await goal.result) as { status: number; result: { answer: { evidence: { text: string }[] } } };
    assert.equal(status, GoalStatus.SUCCEEDED, 'the previous answerer still answers');
    assert.match(result.answer.evidence[0]?.text ?? '', /keys/);
  });

  it('restarts its diagnostics timer when diagnostics_period_s changes', async () => {
    h = await startHarness({ argv: ['-p', 'diagnostics_period_s:=60.0'] });
    const statuses: { status: { values: { key: string; value: string }[] }[] }[] = [];
    h.tester.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', {}, (m) => statuses.push(m as never));
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(statuses.length, 0);
    assert.equal(h.graph.paramSet(NODE, 'diagnostics_period_s', '0.1').successful, true);
    await until(() => statuses.length > 0, 'a diagnostics message');
    const values = Object.fromEntries(statuses[0]!.status[0]!.values.map((v) => [v.key, v.value]));
    assert.equal(values['queue_depth'], '0');
    assert.equal(values['dropped_segments'], '0');
    assert.equal(values['last_memory_age_s'], 'none yet');
    assert.equal(values['endpoint_reachable'], 'true');
  });

  it('reports an unreachable memorizer endpoint on /diagnostics as an error', async () => {
    h = await startHarness({ argv: ['-p', 'diagnostics_period_s:=0.1', '-p', 'memorizer.url:=http://127.0.0.1:9/v1'] });
    const statuses: { status: { level: number; message: string; values: { key: string; value: string }[] }[] }[] = [];
    h.tester.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', {}, (m) => statuses.push(m as never));
    await until(
      () => statuses.some((s) => s.status[0]!.values.some((v) => v.key === 'endpoint_reachable' && v.value === 'false')),
      'the unreachable endpoint reported',
    );
    const status = statuses.at(-1)!.status[0]!;
    assert.equal(status.level, 2);
    assert.match(status.message, /memorizer endpoint unreachable/);
  });
  it('reports a store file deleted under it on /diagnostics as an error, naming the path', async () => {
    h = await startHarness({ argv: ['-p', 'diagnostics_period_s:=0.1'] });
    const statuses: { status: { level: number; message: string }[] }[] = [];
    h.tester.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', {}, (m) => statuses.push(m as never));
    await until(() => statuses.length > 0, 'a diagnostics message');
    assert.notEqual(statuses.at(-1)!.status[0]!.level, 2, 'no error while the store is there');
    unlinkSync(h.dbPath);
    await until(() => statuses.some((s) => /memory store unusable/.test(s.status[0]!.message)), 'the store reported gone');
    const status = statuses.at(-1)!.status[0]!;
    assert.equal(status.level, 2);
    assert.ok(status.message.includes(`the store file ${h.dbPath} was deleted or moved`), status.message);
  });
});

describe('MemoryNode ~/ask, ~/recall, ~/forget (through the rclnodejs double)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('answers an Ask goal from memory: feedback first, then the Answer, also on ~/answers; the question is logged as a task', async () => {
    h = await startHarness();
    const store = new SqliteMemoryStore({ path: h.dbPath });
    // Written under the goal's task group, which the question is limited to.
    const keys = { ...memoryAt('robot', 0, 100, 'The red keys lie on the kitchen table.'), taskGroup: 'household' };
    await store.put(keys);
    await store.put(memoryAt('robot', 0, 110, 'A visitor rang the door bell.'));
    await store.close();
    const answers: { question: string }[] = [];
    h.tester.createSubscription('taskmem/msg/Answer', `${NODE}/answers`, {}, (m) => answers.push(m as never));

    const feedback: { stage: string }[] = [];
    const goal = h.graph.sendGoal(`${NODE}/ask`, askGoal('where are the keys?', 'household'), (f) => feedback.push(f as never));
    assert.equal(goal.accepted, true);
    const { status, result } = (await goal.result) as {
      status: number;
      result: { answer: { evidence: { text: string }[]; question: string } };
    };
    assert.equal(status, GoalStatus.SUCCEEDED);
    assert.equal(feedback[0]?.stage, 'retrieving');
    assert.match(result.answer.evidence[0]?.text ?? 'no evidence', /keys/);
    await until(() => answers.length === 1, 'the answer on ~/answers');
    assert.equal(answers[0]!.question, 'where are the keys?');

    const check = new SqliteMemoryStore({ path: h.dbPath });
    const tasks = await check.answeredTasks({ robotId: 'robot' });
    await check.close();
    assert.deepEqual(
      tasks.map((t) => [t.text, t.group, t.kind]),
      [['where are the keys?', 'household', 'ask']],
    );
    assert.equal(tasks[0]!.answer?.evidence[0], keys.id, 'the answer is recorded with the evidence it used');
  });

  it('shows memories where they happened on ~/memory_markers (kept for late subscribers) and the evidence of an answer on ~/answer_markers', async () => {
    h = await startHarness({ argv: ['-p', 'marker_colours:=task_group'] });
    const store = new SqliteMemoryStore({ path: h.dbPath });
    const at = (x: number) => ({ stamp: 105_000_000_000n, frameId: 'map', x, y: 3, z: 0, yaw: 0 });
    const toolbox = { ...memoryAt('robot', 0, 100, 'The red toolbox stands by the loading dock.'), pose: at(2), taskGroup: 'workshop' };
    const ladder = { ...memoryAt('robot', 0, 110, 'A ladder leans on the wall.'), pose: at(7) };
    await store.put(toolbox);
    await store.put(ladder);
    await store.put(memoryAt('robot', 0, 120, 'A visitor rang the door bell.'));
    await store.close();
    // Forgetting a memory re-publishes the markers: the ladder leaves the map.
    await h.graph.callService(`${NODE}/forget`, forgetRequest({ ids: [ladder.id] }));

    type Markers = {
      markers: {
        ns: string;
        color: { r: number; g: number; b: number };
        action: number;
        type: number;
        text: string;
        header: { frame_id: string };
        pose: { position: { x: number } };
      }[];
    };
    const arrays: Markers[] = [];
    // Subscribing late, as RViz does, gets the latest array (transient local), then each new one.
    h.tester.createSubscription('visualization_msgs/msg/MarkerArray', `${NODE}/memory_markers`, transientLocal(), (m) =>
      arrays.push(m as never),
    );
    const spheresOf = (array: Markers | undefined) => (array?.markers ?? []).filter((m) => m.type === 2 && m.action === 0);
    await until(() => spheresOf(arrays.at(-1)).length === 1, 'the markers after the forget on ~/memory_markers');
    const shown = arrays.at(-1)!.markers;
    assert.equal(shown[0]!.action, 3, 'the array replaces what was shown (DELETEALL first)');
    assert.deepEqual(
      spheresOf(arrays.at(-1)).map((m) => [m.header.frame_id, m.pose.position.x]),
      [['map', 2]],
      'one sphere, the toolbox (the ladder forgotten, the bell memory has no pose)',
    );
    // Coloured by its task group (marker_colours): a saturated hue, where age would have greyed a memory this old.
    const { r, g, b } = spheresOf(arrays.at(-1))[0]!.color;
    assert.ok(Math.max(r, g, b) - Math.min(r, g, b) > 0.9, `a task group's hue: ${JSON.stringify({ r, g, b })}`);

    const goal = h.graph.sendGoal(`${NODE}/ask`, askGoal('where is the red toolbox?'));
    assert.equal((await goal.result).status, GoalStatus.SUCCEEDED);
    const evidence: Markers[] = [];
    h.tester.createSubscription('visualization_msgs/msg/MarkerArray', `${NODE}/answer_markers`, transientLocal(), (m) =>
      evidence.push(m as never),
    );
    await until(() => evidence.length === 1, 'the evidence on ~/answer_markers');
    const labels = evidence[0]!.markers.filter((m) => m.type === 9).map((m) => m.text);
    assert.equal(labels.length, 1);
    assert.match(labels[0]!, /^#1 robot .*The red toolbox stands by the loading dock\.$/);
  });
});

describe('MemoryNode shutdown (through the rclnodejs double)', () => {
  it('shuts rclnodejs down and closes the store when a stage cannot start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskmem-ros-'));
    try {
      const process = new RclnodejsDouble();
      // The parameters are valid, but the ONNX embedding model cannot be loaded: the store is open by then.
      const missing = join(dir, 'no-such-model.onnx');
      const argv = ['node', 'main.js', '--ros-args', '-p', `store.path:=${join(dir, 'm.sqlite')}`, '-p', `embedding.onnx_path:=${missing}`];
      await assert.rejects(MemoryNode.start({ rclnodejs: process.rclnodejs, env: {}, argv }), (error: Error) =>
        error.message.includes(missing),
      );
      assert.equal(process.isShutdown, true);
      assert.equal(process.nodes.length, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('owns SIGINT, closes the store and shuts rclnodejs down; a restart continues the episode numbering', async () => {
    const h = await startHarness();
    try {
      assert.equal(h.process.sigintHandlerInstalled, false, "rclnodejs's own SIGINT handler is removed");
      assert.equal(h.node.episode, 0);
      const store = new SqliteMemoryStore({ path: h.dbPath });
      await store.put(memoryAt('robot', 0, 100, 'first run'));
      await store.close();
      const first = h.process;
      const { node } = await h.restart();
      assert.equal(first.isShutdown, true);
      assert.equal(first.nodes.length, 0);
      assert.equal(node.episode, 1, 'the next run starts one past the last stored episode');
    } finally {
      await h.stop();
    }
  });
});

function zeroTime() {
  return { sec: 0, nanosec: 0 };
}

function askGoal(question: string, taskGroup = '') {
  return { question, choices: [], since: zeroTime(), until: zeroTime(), task_group: taskGroup, robot: '' };
}

function recallRequest(fields: { text?: string; limit?: number } = {}) {
  return {
    text: fields.text ?? '',
    since: zeroTime(),
    until: zeroTime(),
    has_place: false,
    x: 0,
    y: 0,
    radius: 0,
    limit: fields.limit ?? 0,
  };
}

function forgetRequest(fields: { ids?: string[] }) {
  return { ids: fields.ids ?? [], since: zeroTime(), until: zeroTime(), text: '' };
}

/** Reliable, transient local, depth 1: how RViz and Foxglove subscribe to latched marker topics. */
function transientLocal() {
  return {
    qos: new QoS(
      QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
      1,
      QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
      QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL,
    ),
  };
}
