/**
 * The double behaves as rclnodejs 2.2.0 does (../shared reference facts, rclnodejs's lib/ sources): these are the
 * behaviours the memory node's tests rely on, so a double that drifted from them would make those tests lie.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROS_PARAM_TYPE_IDS } from '../../src/config/rosParams.js';
import { GoalStatus, QoS, RclnodejsDouble, RosGraph } from '../support/rclnodejs-double/index.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
const BEST_EFFORT = { qos: 'qos_profile_sensor_data' };

describe('rclnodejs double', () => {
  it('matches a best-effort subscription to a reliable publisher, but not a reliable subscription to a best-effort one', async () => {
    const graph = new RosGraph();
    const a = await RclnodejsDouble.node(graph, 'a');
    const got = { bestEffort: 0, reliable: 0 };
    a.createSubscription('std_msgs/msg/String', '/t', BEST_EFFORT, () => got.bestEffort++);
    a.createSubscription('std_msgs/msg/String', '/t', {}, () => got.reliable++);
    a.createPublisher('std_msgs/msg/String', '/t').publish({ data: 'reliable' });
    a.createPublisher('std_msgs/msg/String', '/t', BEST_EFFORT).publish({ data: 'best effort' });
    await settle();
    assert.deepEqual(got, { bestEffort: 2, reliable: 1 });
  });

  it('keeps only the QoS depth of undelivered messages, and gives history only to transient-local late joiners', async () => {
    const graph = new RosGraph();
    const a = await RclnodejsDouble.node(graph, 'a');
    const seen: string[] = [];
    a.createSubscription('std_msgs/msg/String', '/burst', BEST_EFFORT, (m) => seen.push(m.data));
    const burst = a.createPublisher('std_msgs/msg/String', '/burst', BEST_EFFORT);
    for (let i = 0; i < 8; i++) burst.publish({ data: String(i) });
    await settle();
    assert.deepEqual(seen, ['3', '4', '5', '6', '7'], 'sensor-data depth 5: the oldest three were overwritten');

    const latched = new QoS(1, 2, 1, 1);
    const pub = a.createPublisher('std_msgs/msg/String', '/latched', { qos: latched });
    for (const data of ['x', 'y', 'z']) pub.publish({ data });
    const late: string[] = [];
    const volatileLate: string[] = [];
    a.createSubscription('std_msgs/msg/String', '/latched', { qos: latched }, (m) => late.push(m.data));
    a.createSubscription('std_msgs/msg/String', '/latched', {}, (m) => volatileLate.push(m.data));
    await settle();
    assert.deepEqual(late, ['y', 'z']);
    assert.deepEqual(volatileLate, []);
  });

  it('sends a typed array as rclnodejs 2.2.0 serializes it: its length from the start of its buffer, so a view sends other bytes', async () => {
    const graph = new RosGraph();
    const a = await RclnodejsDouble.node(graph, 'a');
    const got: Uint8Array[] = [];
    a.createSubscription('sensor_msgs/msg/CompressedImage', '/c', {}, (m) => got.push(m.data as Uint8Array));
    const buffer = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: '' };
    a.createPublisher('sensor_msgs/msg/CompressedImage', '/c').publish({ header, format: 'jpeg', data: buffer.subarray(3) });
    await settle();
    assert.deepEqual([...got[0]!], [1, 2, 3]);
  });

  it('parses --ros-args: -p overrides with YAML types, --params-file, remaps, __ns and __node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'double-'));
    try {
      const file = join(dir, 'params.yaml');
      writeFileSync(file, '/**:\n  ros__parameters:\n    segment:\n      duration_s: 5.0\n    robot_id: "r2"\n');
      const graph = new RosGraph();
      const node = await RclnodejsDouble.node(graph, 'memory', [
        'node',
        'x',
        '--ros-args',
        '--params-file',
        file,
        '-p',
        'memory:segment.keyframes:=4',
        '-p',
        'other:robot_id:=no',
        '-r',
        '__ns:=/r2',
        '-r',
        'camera/image_raw:=/front/image',
        '-r',
        '__node:=mem',
      ]);
      const overrides = Object.fromEntries(node.getParameterOverrides().map((p) => [p.name, p.value]));
      assert.deepEqual(overrides, { 'segment.duration_s': 5, robot_id: 'r2' }, "node-specific rules apply by the node's name after __node");
      assert.equal(node.fullyQualifiedName(), '/r2/mem');
      assert.equal(node.resolveName('camera/image_raw'), '/front/image');
      assert.equal(node.resolveName('~/memories'), '/r2/mem/memories');
      const typed = await RclnodejsDouble.node(new RosGraph(), 'memory', [
        '--ros-args',
        '-p',
        'a:=4',
        '-p',
        'b:=4.0',
        '-p',
        'c:=true',
        '-p',
        'd:=[x, y]',
      ]);
      assert.deepEqual(
        typed.getParameterOverrides().map((p) => [p.name, p.type]),
        [
          ['a', 2],
          ['b', 3],
          ['c', 1],
          ['d', 9],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates parameter sets as rclnodejs does: read-only refused, ranges enforced, FloatingPointRange step 1 by default', async () => {
    const process = new RclnodejsDouble();
    const { rclnodejs } = process;
    await rclnodejs.init(undefined, []);
    const node = new rclnodejs.Node('n');
    const { Parameter, ParameterDescriptor, FloatingPointRange, IntegerRange } = rclnodejs;
    node.declareParameter(
      new Parameter('fixed', ROS_PARAM_TYPE_IDS.string, 'a'),
      new ParameterDescriptor('fixed', ROS_PARAM_TYPE_IDS.string, '', true),
    );
    node.declareParameter(
      new Parameter('k', ROS_PARAM_TYPE_IDS.integer, 3),
      new ParameterDescriptor('k', ROS_PARAM_TYPE_IDS.integer, '', false, new IntegerRange(1n, 8n, 1n)),
    );
    node.declareParameter(
      new Parameter('stepped', ROS_PARAM_TYPE_IDS.double, 1.0),
      new ParameterDescriptor('stepped', ROS_PARAM_TYPE_IDS.double, '', false, new FloatingPointRange(0, 10)),
    );
    assert.equal(node.getParameter('k').value, 3n, 'integers are bigint');
    const [readOnly] = node.setParameters([new Parameter('fixed', ROS_PARAM_TYPE_IDS.string, 'b')]);
    assert.deepEqual(readOnly, { successful: false, reason: 'Parameter fixed is readonly' });
    assert.equal(node.setParameters([new Parameter('k', ROS_PARAM_TYPE_IDS.integer, 9)])[0]!.successful, false);
    assert.equal(
      node.setParameters([new Parameter('k', ROS_PARAM_TYPE_IDS.double, 4.0)])[0]!.successful,
      false,
      'a double is not an integer',
    );
    assert.equal(node.setParameters([new Parameter('stepped', ROS_PARAM_TYPE_IDS.double, 2.5)])[0]!.successful, false, 'default step 1');
    assert.equal(node.setParameters([new Parameter('stepped', ROS_PARAM_TYPE_IDS.double, 3.0)])[0]!.successful, true);
    assert.throws(() => new Parameter('k', ROS_PARAM_TYPE_IDS.string, 5), /does not fit/);
    assert.throws(() => node.declareParameter(new Parameter('k', ROS_PARAM_TYPE_IDS.integer, 1)), /already declared/);
    assert.equal(node.getParameter('use_sim_time').value, false, 'every node declares use_sim_time');
  });

  it('runs action goals with rclnodejs semantics: Promise goal callback rejects, default cancel rejects, feedback after cancel is dropped', async () => {
    const graph = new RosGraph();
    const process = new RclnodejsDouble(graph);
    const { rclnodejs } = process;
    await rclnodejs.init(undefined, []);
    const node = new rclnodejs.Node('server');
    new rclnodejs.ActionServer(node, 'taskmem/action/Ask', 'async_goal', () => ({ answer: {} as never }), (() =>
      Promise.resolve(rclnodejs.GoalResponse.ACCEPT)) as never);
    assert.equal(graph.sendGoal('/async_goal', {}).accepted, false);

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    new rclnodejs.ActionServer(node, 'taskmem/action/Ask', 'slow', async (goal) => {
      await released;
      goal.publishFeedback({ stage: 'late', memories_considered: 0 });
      if (goal.isCancelRequested) goal.canceled();
      else goal.succeed();
      return { answer: {} as never };
    });
    const refused = graph.sendGoal('/slow', {});
    assert.equal(await refused.cancel(), false, 'default cancel callback rejects');
    release();
    assert.equal((await refused.result).status, GoalStatus.SUCCEEDED);

    new rclnodejs.ActionServer(
      node,
      'taskmem/action/Ask',
      'cancellable',
      async (goal) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        goal.publishFeedback({ stage: 'after cancel', memories_considered: 0 });
        goal.canceled();
        assert.throws(() => goal.succeed(), /invalid transition/);
        return { answer: {} as never };
      },
      undefined,
      undefined,
      () => rclnodejs.CancelResponse.ACCEPT,
    );
    const feedback: unknown[] = [];
    const goal = graph.sendGoal('/cancellable', {}, (f) => feedback.push(f));
    await settle();
    assert.equal(await goal.cancel(), true);
    assert.equal((await goal.result).status, GoalStatus.CANCELED);
    assert.deepEqual(feedback, []);
    assert.ok(graph.log.some((l) => l.level === 'warn' && /publishFeedback\(\) called on goal in status 3/.test(l.text)));
  });

  it('follows /clock when use_sim_time is set, from time 0 until the first message', async () => {
    const graph = new RosGraph();
    const node = await RclnodejsDouble.node(graph, 'sim', ['--ros-args', '-p', 'use_sim_time:=true']);
    assert.equal(node.now().nanoseconds, 0n);
    const tester = await RclnodejsDouble.node(graph, 'gazebo');
    tester.createPublisher('rosgraph_msgs/msg/Clock', '/clock').publish({ clock: { sec: 42, nanosec: 5 } });
    await settle();
    assert.equal(node.now().nanoseconds, 42_000_000_005n);
  });
});
