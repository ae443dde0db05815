/**
 * `ros2 launch taskmem memory.launch.py` on a real ROS 2 Jazzy (launch and launch_ros of the shared install): every
 * argument reaches the node (read back with `ros2 param get`), Ctrl-C (SIGINT to the terminal's process group:
 * launch and the node each get it, and launch forwards one more) ends the node cleanly with its open segment
 * recorded, and a restart continues. Also the README's own launch and question, as written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeRecording, type RecordingScript } from '../../../src/demo/ScriptedRecording.js';
import { NANOS_PER_SECOND } from '../../../src/time.js';
import { StandInModelServer } from '../../support/StandInModelServer.js';
import { waitFor } from '../graph/GraphBackend.js';
import { RosProcess } from '../graph/RealGraph.js';
import { describeRealGraph, rosWorkspace, type RosWorkspace } from './rosWorkspace.js';

/** Runs a command to its end; resolves with its exit code and output. */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, cwd: env['HOME'], timeout: timeoutMs, killSignal: 'SIGINT' });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** `ros2 param get` until the node answers (discovery may take a while on a loaded machine). */
async function paramGet(env: NodeJS.ProcessEnv, node: string, name: string): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { code, output } = await run('ros2', ['param', 'get', '--no-daemon', '--spin-time', '5', node, name], env);
    if (code === 0) return output.trim();
    if (Date.now() > deadline) throw new Error(`ros2 param get ${node} ${name} kept failing: ${output}`);
  }
}

describeRealGraph('ros2 launch taskmem memory.launch.py on ROS 2 Jazzy', function () {
  this.timeout(300_000);
  let ws: RosWorkspace;
  let dir: string;
  let recording: RecordingScript;
  let policy: StandInModelServer;
  before(async function () {
    this.timeout(40 * 60_000);
    ws = await rosWorkspace();
    dir = mkdtempSync(join(ws.home, 'launch-'));
    recording = await writeRecording({
      path: join(dir, 'run.mcap'),
      durationS: 6,
      fps: 5,
      width: 160,
      height: 120,
      camera: 'compressed',
      audio: 'none',
      speech: [],
      pose: 'odometry',
      poseRateHz: 5,
      start: 1_760_000_000n * NANOS_PER_SECOND,
    });
    policy = await new StandInModelServer().start();
  });
  after(async () => {
    await policy?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes every argument to the node (ros2 param get), stops cleanly on Ctrl-C with the open segment recorded, and a restart continues', async () => {
    // The policy never answers: at Ctrl-C the segments are in flight.
    policy.onChat = () => new Promise(() => {});
    const store = join(dir, 'memory.sqlite');
    const params = join(dir, 'params.yaml');
    writeFileSync(
      params,
      `/**:\n  ros__parameters:\n    store:\n      path: ${store}\n    segment:\n      duration_s: 2.0\n    memorizer:\n      retries: 0\n      fallback: false\n`,
    );
    const args = {
      namespace: 'robot1',
      params_file: params,
      use_sim_time: 'true',
      robot_id: 'trial-1',
      camera: '/front/image_raw/compressed',
      camera_type: 'compressed',
      audio: '/mic/audio',
      audio_info: '/mic/audio_info',
      audio_type: 'none',
      pose: '/odom',
      pose_type: 'odometry',
      memorizer_url: policy.url,
    };
    const launch = () =>
      new RosProcess('ros2', ['launch', 'taskmem', 'memory.launch.py', ...Object.entries(args).map(([k, v]) => `${k}:=${v}`)], ws.env);
    const first = launch();
    try {
      await first.memoryNodeStarted('/robot1/taskmem');
      assert.match(first.text(), /started \(robot trial-1, episode 0\)/);
      const expected: [string, RegExp][] = [
        ['robot_id', /String value is: trial-1/],
        ['use_sim_time', /Boolean value is: True/],
        ['camera.topic', /String value is: \/front\/image_raw\/compressed/],
        ['camera.type', /String value is: compressed/],
        ['audio.topic', /String value is: \/mic\/audio$/],
        ['audio.info_topic', /String value is: \/mic\/audio_info/],
        ['audio.type', /String value is: none/],
        ['pose.topic', /String value is: \/odom/],
        ['pose.type', /String value is: odometry/],
        ['memorizer.url', new RegExp(`String value is: ${policy.url.replaceAll('.', '\\.')}`)],
        ['store.path', new RegExp(`String value is: ${store.replaceAll('.', '\\.')}`)],
        ['segment.duration_s', /Double value is: 2\.0/],
      ];
      const got = await Promise.all(expected.map(([name]) => paramGet(ws.env, '/robot1/taskmem', name)));
      expected.forEach(([name, pattern], i) => assert.match(got[i]!, pattern, `${name}: ${got[i]}`));

      // A recording played into the launched node's topics, with its clock: segments reach the policy and hang there.
      const player = new RosProcess(
        'ros2',
        [
          ...[
            'run',
            'taskmem',
            'taskmem',
            'play',
            recording.path,
            '--clock',
            '--wait-for-subscribers',
            '--topics',
            '/camera/image_raw/compressed,/odom',
          ],
          ...['--remap', '/camera/image_raw/compressed:=/front/image_raw/compressed'],
        ],
        ws.env,
      );
      await waitFor(() => policy.chatRequests().length >= 1, 'a segment at the policy', 120_000);
      await player.stop();

      first.signal('SIGINT');
      assert.equal(await first.exited, 0, first.text());
      const text = first.text();
      assert.match(text, /stopped \(0 stored, [1-9]\d* failed, 0 dropped\)/, text);
      assert.match(text, /memory_node-1\]: process has finished cleanly/, text);
      assert.doesNotMatch(text, /process has died/);
    } finally {
      await first.stop();
    }
    const db = new Database(store, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }

    const second = launch();
    try {
      await second.memoryNodeStarted('/robot1/taskmem');
      assert.match(second.text(), /started \(robot trial-1, episode 1\)/, second.text());
      second.signal('SIGINT');
      assert.equal(await second.exited, 0, second.text());
      assert.match(second.text(), /process has finished cleanly/);
    } finally {
      await second.stop();
    }
  });

  it("runs the README's launch command as written and answers the README's question", async () => {
    const launch = new RosProcess('bash', ['-c', ws.readme.launch], ws.env);
    try {
      await launch.memoryNodeStarted('/taskmem');
      assert.match(launch.text(), /started \(robot tiago-1, episode \d+\)/, launch.text());
      const ask = await run('bash', ['-c', ws.readme.ask], ws.env);
      assert.match(ask.output, /Goal finished with status: SUCCEEDED/, ask.output);
      // An empty memory has nothing about keys: the answer says so instead of being empty.
      assert.match(ask.output, /abstained: true/, ask.output);
      launch.signal('SIGINT');
      assert.equal(await launch.exited, 0, launch.text());
    } finally {
      await launch.stop();
    }
  });
});
