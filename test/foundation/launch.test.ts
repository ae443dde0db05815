import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { listParams } from '../../src/config/schema.js';
import { repoRoot } from '../../scripts/generate-ros-types.js';

const launchFile = join(repoRoot, 'launch/memory.launch.py');

interface LaunchRun {
  declared: { name: string; default: string; choices: string[] | null }[];
  parameter_arguments: { name: string; parameter: string; default: string; choices: string[] | null }[];
  nodes: { package: string; executable: string; name: string; namespace: string; parameters: [string, Record<string, unknown>] }[];
}

/** What `ros2 launch taskmem memory.launch.py <args>` starts, resolved with stand-ins for launch and launch_ros. */
function launch(...args: string[]): LaunchRun {
  const result = spawnSync('/usr/bin/python3', ['-B', join(repoRoot, 'test/foundation/fixtures/run_launch.py'), launchFile, ...args], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`launch failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as LaunchRun;
}

describe('launch/memory.launch.py', function () {
  this.timeout(20_000);

  it('compiles with the system Python', () => {
    const result = spawnSync(
      '/usr/bin/python3',
      ['-B', '-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', launchFile],
      { encoding: 'utf8' },
    );
    assert.equal(result.status, 0, result.stderr);
  });

  it('declares the documented arguments, each mapped to a schema parameter with its default and choices', () => {
    const run = launch();
    assert.deepEqual(run.declared.map((a) => a.name).sort(), [
      'audio',
      'audio_info',
      'audio_type',
      'camera',
      'camera_type',
      'memorizer_url',
      'namespace',
      'params_file',
      'pose',
      'pose_type',
      'robot_id',
      'use_sim_time',
    ]);
    const params = new Map(listParams().map((p) => [p.name, p]));
    const expected: Record<string, string> = {
      robot_id: 'robot_id',
      camera: 'camera.topic',
      camera_type: 'camera.type',
      audio: 'audio.topic',
      audio_type: 'audio.type',
      audio_info: 'audio.info_topic',
      pose: 'pose.topic',
      pose_type: 'pose.type',
      memorizer_url: 'memorizer.url',
    };
    assert.deepEqual(Object.fromEntries(run.parameter_arguments.map((a) => [a.name, a.parameter])), expected);
    for (const argument of run.parameter_arguments) {
      const param = params.get(argument.parameter)!;
      assert.equal(argument.default, String(param.default), `${argument.name} default`);
      assert.deepEqual(argument.choices, param.meta.choices ?? null, `${argument.name} choices`);
      const declared = run.declared.find((a) => a.name === argument.name)!;
      assert.equal(declared.default, argument.default);
    }
    assert.match(run.declared.find((a) => a.name === 'params_file')!.default, /\/taskmem\/config\/taskmem\.yaml$/);
  });

  it('starts memory_node with the params file and no overrides when every argument is at its default', () => {
    const [node] = launch().nodes;
    assert.equal(node!.package, 'taskmem');
    assert.equal(node!.executable, 'memory_node');
    assert.equal(node!.name, 'taskmem');
    assert.equal(node!.namespace, '');
    assert.deepEqual(node!.parameters[1], {});
  });

  it('passes given arguments as parameters after the params file, strings staying strings', () => {
    const [node] = launch(
      'namespace:=robot1',
      'camera:=/front/image_raw/compressed',
      'camera_type:=compressed',
      'robot_id:=42',
      'use_sim_time:=True',
      'params_file:=/etc/taskmem.yaml',
    ).nodes;
    assert.equal(node!.namespace, 'robot1');
    assert.equal(node!.parameters[0], '/etc/taskmem.yaml');
    assert.deepEqual(node!.parameters[1], {
      robot_id: '42',
      'camera.topic': '/front/image_raw/compressed',
      'camera.type': 'compressed',
      use_sim_time: true,
    });
  });

  it('refuses a message type that is not among the choices', () => {
    assert.throws(() => launch('camera_type:=raw'), /camera_type:=raw is not one of/);
  });
});
