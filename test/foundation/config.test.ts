import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, listParams, parseConfig } from '../../src/config/schema.js';
import { configFromRosParams, rosParamDeclarations } from '../../src/config/rosParams.js';
import { loadParamsFile } from '../../src/config/loadParamsFile.js';
import { cliHelp, configFromArgs, parseCliFlags } from '../../src/config/cliFlags.js';
import { paramLayer, resolveConfig } from '../../src/config/ParamLayer.js';
import { repoRoot } from '../../scripts/generate-ros-types.js';

const defaults = parseConfig({}, 'defaults');

describe('configuration', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  function yamlFile(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  describe('schema', () => {
    it('types every parameter of the parsed configuration (checked by tsc)', () => {
      const keyframes: number = defaults.segment.keyframes;
      const cameraType: 'image' | 'compressed' = defaults.camera.type;
      assert.deepEqual([keyframes, cameraType], [8, 'image']);
    });

    it('rejects an unknown parameter inside a group, naming it', () => {
      assert.throws(() => parseConfig({ segment: { foo: 1 } }, 'test'), {
        name: 'ConfigError',
        message: 'taskmem: unknown parameter segment.foo (from test)',
      });
    });
  });

  describe('ROS parameters', () => {
    it('declare every parameter with its ROS type, default, range and description', () => {
      const declarations = new Map(rosParamDeclarations().map((d) => [d.name, d]));
      assert.deepEqual(
        [...declarations.keys()],
        listParams().map((p) => p.name),
      );
      const keyframes = declarations.get('segment.keyframes')!;
      assert.equal(keyframes.type, 'integer');
      assert.equal(keyframes.typeId, 2);
      assert.equal(keyframes.default, 8n);
      assert.deepEqual(keyframes.integerRange, { fromValue: 1n, toValue: 64n, step: 0n });
      const duration = declarations.get('segment.duration_s')!;
      assert.deepEqual(duration.floatingPointRange, { fromValue: 1, toValue: 600, step: 0 });
      assert.match(duration.description, /one memory is written per segment\. \[s\]$/);
      const cameraType = declarations.get('camera.type')!;
      assert.equal(cameraType.additionalConstraints, 'one of: image, compressed');
      assert.equal(cameraType.readOnly, true);
      assert.deepEqual(declarations.get('focus.adapters')!.default, []);
    });

    it('turn ROS values, integers as bigint, back into the configuration', () => {
      const values = Object.fromEntries(rosParamDeclarations().map((d) => [d.name, d.default]));
      assert.deepEqual(configFromRosParams(values), defaults);
      const changed = configFromRosParams({ ...values, 'segment.keyframes': 16n, 'camera.type': 'compressed' });
      assert.equal(changed.segment.keyframes, 16);
      assert.equal(changed.camera.type, 'compressed');
    });

    it('reject an out-of-range ROS value naming parameter, value, range and source', () => {
      assert.throws(() => configFromRosParams({ 'segment.keyframes': 0n }, '--ros-args'), {
        name: 'ConfigError',
        message: 'taskmem: parameter segment.keyframes = 0 (from --ros-args) is invalid: an integer from 1 to 64',
      });
    });
  });

  describe('params files', () => {
    it('apply the /** entry and the entry of the node in its namespace, the later winning', () => {
      const path = yamlFile(
        'ros.yaml',
        [
          '/**:',
          '  ros__parameters:',
          '    segment: { duration_s: 5.0, keyframes: 4 }',
          '/robot1/taskmem:',
          '  ros__parameters:',
          '    segment.keyframes: 6',
          '    camera.topic: front/image_raw',
          '/robot2/taskmem:',
          '  ros__parameters:',
          '    camera.topic: wrong',
        ].join('\n'),
      );
      const config = resolveConfig([loadParamsFile(path, { nodeName: 'taskmem', namespace: '/robot1' })]);
      assert.equal(config.segment.duration_s, 5);
      assert.equal(config.segment.keyframes, 6);
      assert.equal(config.camera.topic, 'front/image_raw');
    });

    it('accept plain nested YAML', () => {
      const config = resolveConfig([loadParamsFile(yamlFile('plain.yaml', 'store:\n  backend: postgres\n'))]);
      assert.equal(config.store.backend, 'postgres');
    });

    it('reject an invalid value naming parameter, value, range and the file', () => {
      const path = yamlFile('bad.yaml', '/**:\n  ros__parameters:\n    focus:\n      depth: 7\n');
      assert.throws(() => loadParamsFile(path), {
        name: 'ConfigError',
        message: `taskmem: parameter focus.depth = 7 (from params file ${path}) is invalid: an integer from 0 to 3`,
      });
    });

    it('reject a file without an entry for the node, and a file that is not YAML, naming the file', () => {
      const other = yamlFile('other.yaml', 'camera_driver:\n  ros__parameters: { fps: 30 }\n');
      assert.throws(
        () => loadParamsFile(other),
        (error: Error) =>
          error instanceof ConfigError && error.message.includes(other) && error.message.includes('no ros__parameters for node /taskmem'),
      );
      const broken = yamlFile('broken.yaml', 'segment: [1\n');
      assert.throws(
        () => loadParamsFile(broken),
        (error: Error) => error instanceof ConfigError && error.message.startsWith(`taskmem: cannot read params file ${broken}:`),
      );
    });

    it('config/taskmem.yaml loads to the defaults, doubles spelled as doubles for rcl', () => {
      const path = join(repoRoot, 'config/taskmem.yaml');
      assert.deepEqual(resolveConfig([loadParamsFile(path)]), defaults);
      assert.deepEqual(resolveConfig([loadParamsFile(path, { nodeName: 'memory', namespace: '/robot7' })]), defaults);
    });
  });

  describe('command-line flags', () => {
    it('take both spellings, bare booleans and repeated lists, and leave other arguments alone', () => {
      const flags = parseCliFlags([
        'ingest',
        'run.mcap',
        '--segment.duration_s',
        '5',
        '--camera.type=compressed',
        '--store.thumbnails',
        '--focus.adapters',
        'kitchen=policy-kitchen',
        '--focus.adapters=garage=policy-garage',
        '--since',
        '1h',
        '--ros-args',
        '-p',
        'robot_id:=r2',
        '--',
        'last',
      ]);
      assert.deepEqual(flags.params.values, {
        'segment.duration_s': 5,
        'camera.type': 'compressed',
        'store.thumbnails': true,
        'focus.adapters': ['kitchen=policy-kitchen', 'garage=policy-garage'],
      });
      assert.deepEqual(flags.rest, ['ingest', 'run.mcap', '--since', '1h', 'last']);
    });

    it('win over the params file, which wins over the defaults', () => {
      const path = yamlFile('layer.yaml', '/**:\n  ros__parameters:\n    segment: { duration_s: 5.0, keyframes: 4 }\n');
      const { config } = configFromArgs(['--params-file', path, '--segment.keyframes=12']);
      assert.equal(config.segment.duration_s, 5);
      assert.equal(config.segment.keyframes, 12);
      assert.equal(config.segment.window_s, defaults.segment.window_s);
    });

    it('reject invalid values naming parameter, value and range, and unknown dotted flags', () => {
      const cases: [string[], string][] = [
        [
          ['--segment.keyframes', '2.5'],
          'taskmem: parameter segment.keyframes = "2.5" (from command line) is invalid: an integer from 1 to 64',
        ],
        [['--segment.keyframes=0'], 'taskmem: parameter segment.keyframes = 0 (from command line) is invalid: an integer from 1 to 64'],
        [
          ['--segment.duration_s', 'ten'],
          'taskmem: parameter segment.duration_s = "ten" (from command line) is invalid: a number from 1 to 600',
        ],
        [['--camera.type', 'raw'], 'taskmem: parameter camera.type = "raw" (from command line) is invalid: one of image, compressed'],
        [['--store.thumbnails=yes'], 'taskmem: parameter store.thumbnails = "yes" (from command line) is invalid: true or false'],
        [['--segment.duraton_s', '5'], 'taskmem: unknown parameter segment.duraton_s (from command line); see --help'],
      ];
      for (const [argv, message] of cases) {
        assert.throws(() => parseCliFlags(argv), { name: 'ConfigError', message }, argv.join(' '));
      }
    });

    it('--help lists every parameter with its default and range', () => {
      const help = cliHelp();
      assert.equal(parseCliFlags(['--help']).help, true);
      for (const { name } of listParams()) assert.ok(help.includes(`--${name} <`), name);
      assert.match(help, /--segment\.duration_s <double> {2}default 10; a number from 1 to 600 \[s\]\n {6}Length of one segment/);
    });
  });

  describe("rules beyond a value's type and range", () => {
    it('answerer.time_zone must be a zone Intl knows, focus.adapters entries group=served_model', () => {
      const cases: [string[], string][] = [
        [
          ['--answerer.time_zone', 'Mars/Olympus'],
          'taskmem: parameter answerer.time_zone = "Mars/Olympus" (from command line) is invalid: "Mars/Olympus" is not an IANA time zone name (e.g. UTC, Europe/Berlin)',
        ],
        [
          ['--focus.adapters', 'counting=m1', '--focus.adapters', 'colours'],
          'taskmem: parameter focus.adapters = "colours" (from command line) is invalid: entry "colours" is not of the form group=served_model',
        ],
      ];
      for (const [argv, message] of cases) assert.throws(() => configFromArgs(argv), { name: 'ConfigError', message }, argv.join(' '));
      const { config } = configFromArgs(['--answerer.time_zone', 'Europe/Berlin', '--focus.adapters', ' counting = m1 ']);
      assert.equal(config.answerer.time_zone, 'Europe/Berlin');
      assert.deepEqual(config.focus.adapters, [' counting = m1 ']);
      const file = yamlFile('zone.yaml', 'answerer: { time_zone: Berlin }\n');
      assert.throws(() => loadParamsFile(file), /parameter answerer\.time_zone = "Berlin" \(from params file .*zone\.yaml\) is invalid/);
    });

    it('a parameter that needs another is refused without it, wherever the other comes from', () => {
      assert.throws(() => configFromArgs(['--focus.grouping', 'embedding']), {
        name: 'ConfigError',
        message:
          'taskmem: parameter focus.grouping = "embedding" (from command line) is invalid: needs an embedding source: set embedding.url or embedding.onnx_path',
      });
      assert.throws(() => configFromArgs(['--focus.grouping', 'classifier']), {
        name: 'ConfigError',
        message:
          'taskmem: parameter focus.grouping = "classifier" (from command line) is invalid: needs a model to classify tasks: set answerer.url or memorizer.url',
      });
      // The params file asks for embedding grouping, the flags give the source: the merged configuration holds.
      const file = yamlFile('grouping.yaml', 'focus: { grouping: embedding }\n');
      const { config } = configFromArgs(['--params-file', file, '--embedding.url', 'http://gpu-box:8000/v1']);
      assert.equal(config.focus.grouping, 'embedding');
      assert.equal(
        configFromArgs(['--focus.grouping', 'classifier', '--memorizer.url', 'http://gpu-box:8000/v1']).config.focus.grouping,
        'classifier',
      );
      // ROS parameters (--ros-args, ros2 param set) go through the same schema.
      assert.throws(
        () => configFromRosParams({ 'focus.grouping': 'embedding' }, 'ros2 param set'),
        /focus\.grouping = "embedding" \(from ros2 param set\) is invalid: needs an embedding source/,
      );
      assert.throws(() => configFromArgs(['--people.new_below', '0.8']), {
        name: 'ConfigError',
        message: 'taskmem: parameter people.new_below = 0.8 (from command line) is invalid: must not exceed people.match_similarity (0.7)',
      });
    });
  });

  it('layers resolve in order, later winning', () => {
    const config = resolveConfig([paramLayer('file', { 'segment.keyframes': 4, robot_id: 'a' }), paramLayer('flags', { robot_id: 'b' })]);
    assert.equal(config.segment.keyframes, 4);
    assert.equal(config.robot_id, 'b');
  });
});
