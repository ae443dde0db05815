/**
 * What the memory node does in a ROS 2 graph, scenario by scenario, run twice: on the in-process rclnodejs double
 * and on a real ROS 2 graph (the node started with `ros2 run` from the workspace README.md's install built, a
 * recording played by `taskmem play`, a driver process as the other nodes). One list, two back-ends: where the
 * double and real ROS differ, a scenario fails on one of them, and the double is what gets fixed.
 *
 * Behind the node: a real SQLite file and the real pipeline, memorizer and answerer, with HTTP to stand-in model
 * servers in this process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { writeRecording, type RecordingScript } from '../../src/demo/ScriptedRecording.js';
import { fromRosTime, NANOS_PER_SECOND, type RosTimeMsg } from '../../src/time.js';
import { writeRosbag2Bag } from '../support/rosbag2Bag.js';
import { StandInModelServer } from '../support/StandInModelServer.js';
import { DoubleGraph } from './graph/DoubleGraph.js';
import type { GraphBackend, GoalRun, Inbox, MemoryNodeRun, SubscribeOptions } from './graph/GraphBackend.js';
import { RealGraph } from './graph/RealGraph.js';
import { describeRealGraph, rosWorkspace, type RosWorkspace } from './real/rosWorkspace.js';
import { changingReplies, SCENES } from './scenes.js';

interface MemoryMsg {
  id: string;
  robot_id: string;
  episode: number;
  start: RosTimeMsg;
  end: RosTimeMsg;
  created_at: RosTimeMsg;
  text: string;
  has_pose: boolean;
  pose: { header: { frame_id: string } };
}

interface MarkerArrayMsg {
  markers: { ns: string; type: number; action: number; text: string; header: { frame_id: string } }[];
}

interface AnswerMsg {
  question_id: string;
  question: string;
  answer: string;
  abstained: boolean;
  evidence: { memory_id: string; text: string }[];
  answered_by: string;
}

interface DiagnosticArrayMsg {
  status: { level: number; name: string; message: string; hardware_id: string; values: { key: string; value: string }[] }[];
}

interface ParameterValueMsg {
  type: number;
  bool_value: boolean;
  integer_value: bigint;
  double_value: number;
  string_value: string;
}

/** action_msgs/GoalStatus. */
const STATUS = { SUCCEEDED: 4, CANCELED: 5 } as const;
const MEMORY = 'taskmem/msg/Memory';
/** The sensor topics the node subscribes to by default, and /pose when pose.topic names it. */
const SENSORS = ['/camera/image_raw', '/audio/audio_stamped', '/audio/audio_info'];

const seconds = (t: RosTimeMsg) => Number(fromRosTime(t)) / 1e9;
const time0 = { sec: 0, nanosec: 0 };

function askGoal(question: string) {
  return { question, choices: [], since: time0, until: time0, task_group: '' };
}

function recallRequest(fields: { text?: string; limit?: number } = {}) {
  return { text: fields.text ?? '', since: time0, until: time0, has_place: false, x: 0, y: 0, radius: 0, limit: fields.limit ?? 0 };
}

/** rcl_interfaces/ParameterValue as `ros2 param set` sends it. */
function parameterValue(value: boolean | bigint | number | string) {
  const type = typeof value === 'boolean' ? 1 : typeof value === 'bigint' ? 2 : typeof value === 'number' ? 3 : 4;
  return {
    type,
    bool_value: type === 1 ? value : false,
    integer_value: type === 2 ? value : 0n,
    double_value: type === 3 ? value : 0,
    string_value: type === 4 ? value : '',
    byte_array_value: [],
    bool_array_value: [],
    integer_array_value: [],
    double_array_value: [],
    string_array_value: [],
  };
}

interface World {
  graph: GraphBackend;
  /** The memorizer's model server. */
  policy: StandInModelServer;
  /** The answering model's server. */
  answers: StandInModelServer;
  dir: string;
  store: string;
  /** --ros-args every run of the node gets: the store, the policy at the stand-in, 2 s segments. */
  base: string[];
  nodes: MemoryNodeRun[];
}

function scenarios(recording: () => RecordingScript, makeGraph: () => Promise<GraphBackend>): void {
  let w: World;

  beforeEach(async function () {
    const dir = mkdtempSync(join(tmpdir(), 'taskmem-scenario-'));
    const [policy, answers] = await Promise.all([new StandInModelServer().start(), new StandInModelServer().start()]);
    policy.onChat = changingReplies();
    const store = join(dir, 'memory.sqlite');
    w = {
      graph: await makeGraph(),
      policy,
      answers,
      dir,
      store,
      base: [
        ...['-p', `store.path:=${store}`, '-p', `memorizer.url:=${policy.url}`, '-p', 'memorizer.retries:=0'],
        ...['-p', 'memorizer.fallback:=false', '-p', 'segment.duration_s:=2.0', '-p', 'diagnostics_period_s:=0.5'],
        // Object and face detection (on by default) is not what these scenarios are about, and at their compressed
        // time it would dominate them: every start of the node loads the vision models (seconds of CPU, once per
        // process on the real graph, where each node is one), and each changed view costs about 0.4 s of CPU, a
        // budget meant for 10 s segments spent here on 2 s segments played at twice their speed. On a machine
        // under load that pushed the scenarios past their timeout. Detection is tested in src/media and
        // src/people; the installed node loads its models in RosPackage.test.ts and Launch.test.ts, which start
        // it with the defaults.
        ...['-p', 'perception.detect:=false'],
      ],
      nodes: [],
    };
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && w.graph instanceof RealGraph) console.log(w.graph.transcript());
    await w.graph.close();
    await Promise.all([w.policy.stop(), w.answers.stop()]);
    rmSync(w.dir, { recursive: true, force: true });
  });

  const start = async (args: string[] = [], fqn?: string) => {
    const run = await w.graph.startNode([...w.base, ...args], fqn);
    w.nodes.push(run);
    return run;
  };
  const memoriesOn = (topic = '/taskmem/memories', options: SubscribeOptions = {}) =>
    w.graph.subscribe<MemoryMsg>(topic, MEMORY, 'latched', options);
  /** Plays the whole recording (or the same scene stored as `bag`) at twice its speed into the node's sensor topics. */
  const playAll = async (topics = SENSORS, remaps: string[] = [], bag = recording().path) => {
    const run = await w.graph.play(bag, { topics, rate: 2, remaps });
    assert.equal(await run.done, 0, 'the player ends cleanly');
  };
  const recordedRange = () => [Number(recording().start) / 1e9, Number(recording().end) / 1e9] as const;

  it("turns a played recording into Memory messages on ~/memories with the recording's times; a late subscriber gets the history", async () => {
    await start(['-p', 'pose.topic:=/pose']);
    const memories = await memoriesOn();
    await playAll([...SENSORS, '/pose']);
    await memories.until((m) => m.length >= 3, 'three memories');
    const [first, last] = recordedRange();
    for (const m of memories.messages) {
      assert.equal(seconds(m.end) - seconds(m.start), 2, `a 2 s segment: ${m.id}`);
      assert.ok(seconds(m.start) >= first && seconds(m.end) <= last + 2, `within the recording's time: ${m.id}`);
      assert.equal(m.id, `robot/0/${fromRosTime(m.start)}`);
      assert.equal(m.episode, 0);
      assert.ok(m.has_pose && m.pose.header.frame_id === 'map', `pose from /pose: ${JSON.stringify(m.pose)}`);
      assert.ok(SCENES.includes(m.text), m.text);
    }
    assert.ok(seconds(memories.messages[0]!.start) - first < 1, 'the first segment starts with the first frame');
    // The policy saw the recording's own frames: the first keyframe shows the first scene's green background.
    const keyframe = w.policy
      .chatRequests()[0]!
      .messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content))
      .find((p) => p.type === 'image_url');
    assert.ok(keyframe && keyframe.type === 'image_url', 'a keyframe in the first policy request');
    const [red, green, blue] = (
      await sharp(Buffer.from(keyframe.image_url.url.split(',')[1]!, 'base64'))
        .extract({ left: 0, top: 0, width: 8, height: 8 })
        .stats()
    ).channels.map((c) => c.mean);
    assert.ok(
      green! > red! + 25 && green! > blue! + 25,
      `the corner of the first keyframe is ${[red, green, blue].map((c) => c!.toFixed(0)).join(',')}, the first scene is green (#2f6f3e)`,
    );
    assert.ok(
      memories.messages.every((m) => seconds(m.created_at) > last),
      'created at the wall-clock time they were written, not at recording time',
    );

    // A node that joins later, in a process of its own, as `ros2 topic echo` started later does.
    const late = await memoriesOn('/taskmem/memories', { newProcess: true });
    const ids = (inbox: Inbox<MemoryMsg>) => inbox.messages.map((m) => m.id).join(', ');
    await late.until(
      (m) => m.length >= memories.messages.length,
      () => `the history for a late subscriber (it has ${ids(late)}; the first subscriber has ${ids(memories)})`,
    );
    assert.deepEqual(
      late.messages.map((m) => m.id),
      memories.messages.map((m) => m.id),
    );

    // The memories on the map: a viewer joining now (RViz, Foxglove) gets the latest MarkerArray on
    // ~/memory_markers (transient local), a DELETEALL then a sphere and a label per memory, in the pose's frame.
    const markers = await w.graph.subscribe<MarkerArrayMsg>('/taskmem/memory_markers', 'visualization_msgs/msg/MarkerArray', 'latched', {
      newProcess: true,
    });
    const spheres = (array: MarkerArrayMsg | undefined) => (array?.markers ?? []).filter((m) => m.ns === 'taskmem_memories');
    await markers.until(
      (arrays) => spheres(arrays.at(-1)).length === memories.messages.length,
      () => `a sphere per memory on ~/memory_markers (the latest array has ${spheres(markers.messages.at(-1)).length})`,
    );
    const shown = markers.messages.at(-1)!.markers;
    assert.equal(shown[0]!.action, 3, 'the array starts with a DELETEALL, replacing what a viewer shows');
    assert.ok(
      spheres(markers.messages.at(-1)).every((m) => m.header.frame_id === 'map' && m.type === 2),
      'spheres in the frame of the memories pose',
    );
    const labels = shown.filter((m) => m.ns === 'taskmem_memories_labels').map((m) => m.text);
    for (const memory of memories.messages) {
      const firstWords = memory.text.split(/\s+/).slice(0, 4).join(' ');
      assert.ok(
        labels.some((l) => l.includes(firstWords)),
        `a label with the first words of "${memory.text}": ${labels.join(' | ')}`,
      );
    }
  });

  it('answers an Ask goal from a real action client: feedback, then the Answer, also on ~/answers; a second goal cancelled mid-way', async () => {
    await start(['-p', `answerer.url:=${w.answers.url}`, '-p', 'answerer.model:=stand-in']);
    const memories = await memoriesOn();
    await playAll();
    await memories.until((m) => m.length >= 3, 'three memories');
    const kettle = memories.messages.find((m) => m.text.includes('kettle'))!;
    assert.ok(kettle, memories.messages.map((m) => m.text).join(' | '));
    const published = await w.graph.subscribe<AnswerMsg>('/taskmem/answers', 'taskmem/msg/Answer', 'reliable');
    await w.graph.waitForPublishers('/taskmem/answers');

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    w.answers.onChat = async (request) => {
      if (JSON.stringify(request.messages).includes('Who rang')) await released;
      return JSON.stringify({ answer: 'It boils in the kitchen.', abstained: false, confidence: 0.9, evidence: [kettle.id] });
    };
    const goal = await w.graph.sendGoal('/taskmem/ask', 'taskmem/action/Ask', askGoal('Where is the kettle?'));
    assert.equal(goal.accepted, true);
    const { status, result } = (await goal.result) as { status: number; result: { answer: AnswerMsg } };
    assert.equal(status, STATUS.SUCCEEDED);
    assert.equal(result.answer.answer, 'It boils in the kitchen.');
    assert.equal(result.answer.answered_by, 'stand-in');
    assert.deepEqual(
      result.answer.evidence.map((e) => [e.memory_id, e.text]),
      [[kettle.id, kettle.text]],
    );
    assert.equal((goal.feedback[0] as { stage: string } | undefined)?.stage, 'retrieving', JSON.stringify(goal.feedback));
    await published.until((a) => a.length === 1, 'the answer on ~/answers');
    assert.equal(published.messages[0]!.question_id, result.answer.question_id);

    const slow: GoalRun = await w.graph.sendGoal('/taskmem/ask', 'taskmem/action/Ask', askGoal('Who rang at the door?'));
    await waitForChat(w.answers, 'Who rang');
    assert.equal(await slow.cancel(), true, 'the node accepts the cancel request');
    assert.equal((await slow.result).status, STATUS.CANCELED);
    release();
  });

  it('serves ~/recall and ~/forget on the store, reports /diagnostics with the documented keys, and abstains without an answering model', async () => {
    await start();
    const diagnostics = await w.graph.subscribe<DiagnosticArrayMsg>('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', 'reliable');
    const memories = await memoriesOn();
    await playAll();
    await memories.until((m) => m.length >= 3, 'three memories');

    const found = await w.graph.call<{ memories: MemoryMsg[] }>('/taskmem/recall', 'taskmem/srv/Recall', recallRequest({ text: 'kettle' }));
    assert.deepEqual(
      found.memories.map((m) => m.text),
      ['The kettle boils in the kitchen.'],
    );
    const none = await w.graph.call<{ deleted: MemoryMsg[] }>('/taskmem/forget', 'taskmem/srv/Forget', {
      ids: [],
      since: time0,
      until: time0,
      text: '',
    });
    assert.equal(none.deleted.length, 0, 'a forget that names nothing deletes nothing');
    const gone = await w.graph.call<{ deleted: MemoryMsg[] }>('/taskmem/forget', 'taskmem/srv/Forget', {
      ids: [found.memories[0]!.id],
      since: time0,
      until: time0,
      text: '',
    });
    assert.deepEqual(
      gone.deleted.map((m) => m.id),
      [found.memories[0]!.id],
    );
    const left = await w.graph.call<{ memories: MemoryMsg[] }>('/taskmem/recall', 'taskmem/srv/Recall', recallRequest());
    assert.equal(left.memories.length, memories.messages.length - 1);
    assert.ok(!left.memories.some((m) => m.id === found.memories[0]!.id));

    const [status] = (
      await diagnostics.until(
        (d) => d.some((m) => value(m, 'stored_memories') === String(memories.messages.length)),
        'the stored memories on /diagnostics',
      )
    ).at(-1)!.status;
    assert.equal(status!.name, 'taskmem: taskmem');
    assert.equal(status!.hardware_id, 'robot');
    // OK: nothing dropped, not even the first audio chunk (its AudioInfo, published just before it, is read first).
    const values = Object.fromEntries(status!.values.map((v) => [v.key, v.value]));
    assert.equal(status!.level, 0, JSON.stringify(status));
    assert.deepEqual([values['dropped_segments'], values['failed_segments']], ['0', '0']);
    const keys = status!.values.map((v) => v.key);
    for (const key of [
      'endpoint_reachable',
      'queue_depth',
      'dropped_segments',
      'stored_memories',
      'failed_segments',
      'last_memory_age_s',
      'episode',
      'focus.group',
    ]) {
      assert.ok(keys.includes(key), `${key} in ${keys.join(', ')}`);
    }
    assert.equal(value({ status: [status!] }, 'endpoint_reachable'), 'true');

    // No answering model and no memory with the question's words: "not in memory", not an empty answer.
    const goal = await w.graph.sendGoal('/taskmem/ask', 'taskmem/action/Ask', askGoal('What sign did you see?'));
    const { status: ended, result } = (await goal.result) as { status: number; result: { answer: AnswerMsg } };
    assert.equal(ended, STATUS.SUCCEEDED);
    assert.deepEqual(
      [result.answer.abstained, result.answer.answer, result.answer.evidence.length, result.answer.answered_by],
      [true, '', 0, ''],
    );
  });

  it('takes parameters from -p and from a params file written for /taskmem as launch writes it, describes their ranges, applies a run-time change and refuses bad values with their reason', async () => {
    const params = join(w.dir, 'params.yaml');
    writeFileSync(params, '/taskmem:\n  ros__parameters:\n    robot_id: from-params-file\n    segment:\n      keyframes: 3\n');
    await start(['--params-file', params, '-p', 'segment.window_memories:=2']);
    const get = async (...names: string[]) =>
      (await w.graph.call<{ values: ParameterValueMsg[] }>('/taskmem/get_parameters', 'rcl_interfaces/srv/GetParameters', { names }))
        .values;
    const [robot, keyframes, window] = await get('robot_id', 'segment.keyframes', 'segment.window_memories');
    assert.deepEqual([robot!.string_value, keyframes!.integer_value, window!.integer_value], ['from-params-file', 3n, 2n]);

    const { descriptors } = await w.graph.call<{
      descriptors: {
        name: string;
        read_only: boolean;
        additional_constraints: string;
        integer_range: { from_value: bigint; to_value: bigint }[];
        floating_point_range: { from_value: number; to_value: number }[];
      }[];
    }>('/taskmem/describe_parameters', 'rcl_interfaces/srv/DescribeParameters', {
      names: ['segment.keyframes', 'segment.duration_s', 'camera.topic', 'memorizer.drop_policy'],
    });
    const [k, duration, camera, drop] = descriptors;
    assert.deepEqual(
      k!.integer_range.map((r) => [r.from_value, r.to_value]),
      [[1n, 64n]],
    );
    assert.deepEqual(
      duration!.floating_point_range.map((r) => [r.from_value, r.to_value]),
      [[1, 600]],
    );
    assert.equal(camera!.read_only, true);
    assert.equal(drop!.additional_constraints, 'one of: drop_oldest, drop_newest');

    const set = async (name: string, v: boolean | bigint | number | string) =>
      (
        await w.graph.call<{ results: { successful: boolean; reason: string }[] }>(
          '/taskmem/set_parameters',
          'rcl_interfaces/srv/SetParameters',
          {
            parameters: [{ name, value: parameterValue(v) }],
          },
        )
      ).results[0]!;
    const outOfRange = await set('segment.keyframes', 500n);
    assert.equal(outOfRange.successful, false);
    assert.match(outOfRange.reason, /segment\.keyframes = 500 \(from ros2 param set\) is invalid: an integer from 1 to 64/);
    const wrongType = await set('segment.duration_s', 5n);
    assert.deepEqual(wrongType, {
      successful: false,
      reason: 'taskmem: parameter segment.duration_s is a double, not an integer (write 5.0)',
    });
    const readOnly = await set('camera.topic', '/other');
    assert.deepEqual(readOnly, { successful: false, reason: 'Parameter camera.topic is readonly' });
    assert.equal((await get('segment.keyframes'))[0]!.integer_value, 3n, 'a refused value leaves the parameter as it was');

    // A change that takes effect at once: recall without a limit returns answerer.max_evidence memories.
    const memories = await memoriesOn();
    await playAll();
    await memories.until((m) => m.length >= 3, 'three memories');
    assert.ok(memories.messages.every((m) => m.robot_id === 'from-params-file'));
    const recallAll = async () =>
      (await w.graph.call<{ memories: MemoryMsg[] }>('/taskmem/recall', 'taskmem/srv/Recall', recallRequest())).memories.length;
    assert.ok((await recallAll()) >= 3);
    assert.deepEqual(await set('answerer.max_evidence', 2n), { successful: true, reason: '' });
    assert.equal(await recallAll(), 2);
  });

  it('follows /clock from the player with use_sim_time:=true; a clock reset (the recording looped) starts a new episode, nothing mixed', async () => {
    await start(['-p', 'use_sim_time:=true']);
    const memories = await memoriesOn();
    const player = await w.graph.play(recording().path, { topics: SENSORS, rate: 2, clock: true, loop: true });
    await memories.until((m) => m.filter((x) => x.episode === 1).length >= 2, "two memories of the second pass's episode", 120_000);
    assert.equal(await player.stop(), 130, 'a looping player ends on Ctrl-C, with the exit code of an interrupted command');
    const [first, last] = recordedRange();
    for (const m of memories.messages) {
      assert.ok(seconds(m.start) >= first && seconds(m.end) <= last + 2, `stamps of the recording: ${m.id}`);
      assert.ok(
        seconds(m.created_at) >= first && seconds(m.created_at) <= last + 3,
        `created at /clock time: ${m.id} ${seconds(m.created_at)}`,
      );
      assert.equal(m.id, `robot/${m.episode}/${fromRosTime(m.start)}`);
    }
    assert.equal(new Set(memories.messages.map((m) => m.id)).size, memories.messages.length, 'no id twice');
    const episodes = new Set(memories.messages.map((m) => m.episode));
    assert.ok(episodes.has(0) && episodes.has(1), [...episodes].join());
    const firstOfEpisode1 = memories.messages.findIndex((m) => m.episode === 1);
    assert.ok(
      memories.messages.slice(firstOfEpisode1).every((m) => m.episode >= 1),
      'no memory of the first pass after the reset',
    );
  });

  it('moves with a namespace and follows a remapped camera topic (-r __ns:=/robot1 -r camera/image_raw:=/cam), played from a Humble SQLite bag', async () => {
    await start(['-r', '__ns:=/robot1', '-r', 'camera/image_raw:=/cam'], '/robot1/taskmem');
    const names = await w.graph.names();
    for (const topic of [
      '/cam',
      '/robot1/audio/audio_stamped',
      '/robot1/audio/audio_info',
      '/robot1/taskmem/memories',
      '/robot1/taskmem/answers',
    ]) {
      assert.ok(names.topics.includes(topic), `${topic} in ${names.topics.join(', ')}`);
    }
    assert.ok(names.services.includes('/robot1/taskmem/recall') && names.services.includes('/robot1/taskmem/forget'));
    assert.ok(names.actions.includes('/robot1/taskmem/ask'), names.actions.join(', '));
    assert.ok(!names.topics.includes('/camera/image_raw') && !names.topics.includes('/taskmem/memories'));
    const memories = await memoriesOn('/robot1/taskmem/memories');
    // The scene as ROS 2 Humble records it by default: a rosbag2 SQLite bag directory, played by `taskmem play`.
    const bag = join(w.dir, 'humble_bag');
    await writeRosbag2Bag(recording().path, bag, 'humble');
    await playAll(
      SENSORS,
      ['/camera/image_raw:=/cam', '/audio/audio_stamped:=/robot1/audio/audio_stamped', '/audio/audio_info:=/robot1/audio/audio_info'],
      bag,
    );
    await memories.until((m) => m.length >= 3, 'memories from the remapped topics');
    for (const m of memories.messages) assert.ok(SCENES.includes(m.text), `a scene of the recording: ${m.text}`);
  });

  it('on SIGINT with segments at the model stops cleanly, recording them; the store is intact and a restart continues without duplicates', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    w.policy.onChat = async () => {
      await held;
      return '{"description": "too late"}';
    };
    const first = await start();
    const player = await w.graph.play(recording().path, { topics: SENSORS, rate: 1 });
    await waitFor(() => w.policy.chatRequests().length >= 1, 'a segment at the model');
    assert.equal(await first.interrupt(), 0, `clean exit:\n${first.log().join('\n')}`);
    await player.stop();
    release();
    const stopped = first.log().find((l) => /taskmem: stopped \(/.test(l));
    assert.match(stopped ?? first.log().join('\n'), /stopped \(0 stored, [1-9]\d* failed, 0 dropped\)/);
    const db = new Database(w.store, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }

    w.policy.onChat = changingReplies();
    const second = await start();
    assert.ok(
      second.log().some((l) => /started \(robot robot, episode 1\)/.test(l)),
      `the next episode after the one stored:\n${second.log().join('\n')}`,
    );
    const memories = await memoriesOn();
    await playAll();
    await memories.until((m) => m.length >= 3, 'memories after the restart');
    assert.ok(memories.messages.every((m) => m.episode === 1));
    const all = (await w.graph.call<{ memories: MemoryMsg[] }>('/taskmem/recall', 'taskmem/srv/Recall', recallRequest({ limit: 100 })))
      .memories;
    assert.equal(new Set(all.map((m) => m.id)).size, all.length, 'no memory twice');
  });

  it('counts malformed camera messages (wrong step, unknown encoding) on /diagnostics, warns once per cause, and keeps memorizing', async () => {
    const node = await start();
    const diagnostics = await w.graph.subscribe<DiagnosticArrayMsg>('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', 'reliable');
    const memories = await memoriesOn();
    await w.graph.waitForSubscribers('/camera/image_raw');
    const t0 = recording().start;
    const frame = (i: number, fields: { step?: number; encoding?: string }) => ({
      header: { stamp: { sec: Number(t0 / NANOS_PER_SECOND), nanosec: i * 10_000_000 }, frame_id: 'camera' },
      height: 120,
      width: 160,
      encoding: fields.encoding ?? 'rgb8',
      is_bigendian: 0,
      step: fields.step ?? 480,
      data: new Uint8Array(480 * 120),
    });
    for (let i = 0; i < 3; i++) {
      await w.graph.publish('/camera/image_raw', 'sensor_msgs/msg/Image', frame(i, { step: 100 }), 'sensor');
      await w.graph.publish('/camera/image_raw', 'sensor_msgs/msg/Image', frame(i + 3, { encoding: 'taskmem_unknown' }), 'sensor');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const counted = await diagnostics.until(
      (d) =>
        d.some((m) => Number(value(m, 'dropped_inputs.short_step')) >= 1 && Number(value(m, 'dropped_inputs.unsupported_encoding')) >= 1),
      'both causes counted on /diagnostics',
    );
    const status = counted.at(-1)!.status[0]!;
    assert.equal(status.level, 1, 'WARN while inputs are rejected');
    assert.ok(Number(value(counted.at(-1)!, 'dropped_inputs.short_step')) <= 3);
    const warnings = node.log().filter((l) => /WARN/.test(l));
    assert.equal(warnings.filter((l) => /step 100 is less than/.test(l)).length, 1, warnings.join('\n'));
    assert.equal(warnings.filter((l) => /taskmem_unknown/.test(l)).length, 1, warnings.join('\n'));

    await playAll();
    await memories.until((m) => m.length >= 3, 'memories after the malformed frames');
  });
}

function value(message: DiagnosticArrayMsg, key: string): string | undefined {
  return message.status[0]?.values.find((v) => v.key === key)?.value;
}

async function waitForChat(server: StandInModelServer, text: string): Promise<void> {
  await waitFor(() => server.chatRequests().some((r) => JSON.stringify(r.messages).includes(text)), `"${text}" at the model`);
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A small recording: 7 s of 160×120 camera at 5 fps (four scenes), 16 kHz audio with its AudioInfo, poses. */
function useRecording(): () => RecordingScript {
  let script: RecordingScript | undefined;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-scenario-recording-'));
    script = await writeRecording({
      path: join(dir, 'run.mcap'),
      durationS: 7,
      fps: 5,
      width: 160,
      height: 120,
      speech: [],
      scenes: SCENES.map((sign, i) => ({ fromS: i * 2, colour: ['#2f6f3e', '#7a3b2e', '#2e4a7a', '#6b5d1f'][i]!, sign: sign.slice(0, 8) })),
      poseRateHz: 5,
      start: 1_750_000_000n * NANOS_PER_SECOND,
    });
  });
  // The workspace's own before-hook may fail before this one ran.
  after(() => dir && rmSync(dir, { recursive: true, force: true }));
  return () => script!;
}

describe('memory node scenarios on the rclnodejs double', function () {
  this.timeout(60_000);
  const recording = useRecording();
  scenarios(recording, () => DoubleGraph.create());
});

describeRealGraph('memory node scenarios on a real ROS 2 graph (separate processes over Cyclone DDS)', function () {
  this.timeout(240_000);
  let ws: RosWorkspace;
  before(async function () {
    this.timeout(40 * 60_000);
    ws = await rosWorkspace();
  });
  const recording = useRecording();
  scenarios(recording, () => RealGraph.create(ws));
});
