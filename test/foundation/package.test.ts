import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/generate-ros-types.js';

const read = (relative: string) => readFileSync(join(repoRoot, relative), 'utf8');
const packageXml = read('package.xml');
const cmake = read('CMakeLists.txt');

/** Dependencies declared in package.xml by tag, e.g. depend → [builtin_interfaces, …]. */
function declared(...tags: string[]): Set<string> {
  const names = new Set<string>();
  for (const tag of tags) {
    for (const match of packageXml.matchAll(new RegExp(`<${tag}>\\s*([\\w-]+)\\s*</${tag}>`, 'g'))) names.add(match[1]!);
  }
  return names;
}

/** Our interface files, relative: msg/Memory.msg, … */
const ourInterfaces = ['msg', 'srv', 'action'].flatMap((kind) =>
  readdirSync(join(repoRoot, kind)).filter((f) => f.endsWith(`.${kind}`)).map((f) => `${kind}/${f}`));

/** Packages whose messages our interfaces use as field types, plus action_msgs for actions. */
function referencedPackages(): Set<string> {
  const packages = new Set<string>();
  for (const file of ourInterfaces) {
    if (file.endsWith('.action')) packages.add('action_msgs');
    for (const line of read(file).split('\n')) {
      const type = line.replace(/#.*/, '').trim().split(/\s+/)[0] ?? '';
      if (type.includes('/')) packages.add(type.split('/')[0]!);
    }
  }
  return packages;
}

describe('ROS package files', () => {
  it('package.xml is format 3, ament_cmake, an interface package, versioned like package.json', () => {
    assert.match(packageXml, /<package format="3">/);
    assert.match(packageXml, /<build_type>ament_cmake<\/build_type>/);
    assert.match(packageXml, /<member_of_group>rosidl_interface_packages<\/member_of_group>/);
    assert.ok(declared('buildtool_depend').has('rosidl_default_generators'));
    assert.ok(declared('exec_depend').has('rosidl_default_runtime'));
    const { version } = JSON.parse(read('package.json')) as { version: string };
    assert.match(packageXml, new RegExp(`<version>${version.replace(/\./g, '\\.')}</version>`));
  });

  it('package.xml and CMakeLists.txt declare every message package our interfaces are built from', () => {
    const referenced = referencedPackages();
    assert.ok(referenced.has('builtin_interfaces') && referenced.has('geometry_msgs'), [...referenced].join());
    const buildAndRun = declared('depend');
    const cmakeDependencies = /DEPENDENCIES ([\w ]+)\n/.exec(cmake)?.[1]?.split(' ') ?? [];
    for (const pkg of referenced) {
      assert.ok(buildAndRun.has(pkg), `package.xml lacks <depend>${pkg}</depend>`);
      assert.ok(cmakeDependencies.includes(pkg), `rosidl_generate_interfaces lacks DEPENDENCIES ${pkg}`);
      assert.match(cmake, new RegExp(`find_package\\(${pkg} REQUIRED\\)`));
    }
  });

  it('package.xml declares every package whose messages the node uses (interfaces/)', () => {
    const all = declared('depend', 'exec_depend');
    for (const dir of readdirSync(join(repoRoot, 'interfaces'))) {
      const pkg = dir.split('.')[0]!;
      assert.ok(all.has(pkg), `package.xml lacks <exec_depend>${pkg}</exec_depend>`);
    }
  });

  it('CMakeLists.txt generates exactly our interface files', () => {
    const listed = [...cmake.matchAll(/"((?:msg|srv|action)\/\w+\.(?:msg|srv|action))"/g)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), [...ourInterfaces].sort());
  });

  it('the memory_node wrapper runs share/taskmem/dist/src/ros/main.js of its install prefix with all arguments', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'taskmem-prefix-'));
    try {
      mkdirSync(join(prefix, 'lib/taskmem'), { recursive: true });
      mkdirSync(join(prefix, 'share/taskmem/dist/src/ros'), { recursive: true });
      copyFileSync(join(repoRoot, 'scripts/memory_node'), join(prefix, 'lib/taskmem/memory_node'));
      writeFileSync(join(prefix, 'share/taskmem/dist/src/ros/main.js'),
        'console.log(JSON.stringify({ script: process.argv[1], args: process.argv.slice(2) }));\n');
      const result = spawnSync('sh', [join(prefix, 'lib/taskmem/memory_node'), '--ros-args', '-p', 'robot_id:=r 2'], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), {
        script: join(prefix, 'share/taskmem/dist/src/ros/main.js'),
        args: ['--ros-args', '-p', 'robot_id:=r 2'],
      });
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
