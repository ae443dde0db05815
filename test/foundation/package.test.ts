import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/generate-ros-types.js';

const read = (relative: string) => readFileSync(join(repoRoot, relative), 'utf8');
const cmake = read('CMakeLists.txt');

interface ParsedPackage {
  name: string;
  version: string;
  format: number;
  buildtool_depends: string[];
  build_depends: string[];
  exec_depends: string[];
  groups: string[];
  build_type: string;
}

/** package.xml as colcon and rosdep read it: parsed and validated by catkin_pkg. */
function parsePackageXml(): ParsedPackage {
  const program = `
import json, sys
from catkin_pkg.package import parse_package
p = parse_package(sys.argv[1])
p.validate()
names = lambda deps: sorted(d.name for d in deps)
print(json.dumps({'name': p.name, 'version': p.version, 'format': p.package_format,
  'buildtool_depends': names(p.buildtool_depends), 'build_depends': names(p.build_depends),
  'exec_depends': names(p.exec_depends), 'groups': [g.name for g in p.member_of_groups],
  'build_type': p.get_build_type()}))`;
  const result = spawnSync('/usr/bin/python3', ['-B', '-c', program, join(repoRoot, 'package.xml')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`catkin_pkg rejects package.xml: ${result.stderr}`);
  return JSON.parse(result.stdout) as ParsedPackage;
}

/** Our interface files, relative: msg/Memory.msg, … */
const ourInterfaces = ['msg', 'srv', 'action'].flatMap((kind) =>
  readdirSync(join(repoRoot, kind))
    .filter((f) => f.endsWith(`.${kind}`))
    .map((f) => `${kind}/${f}`),
);

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

describe('ROS package files', function () {
  this.timeout(20_000);
  let pkg: ParsedPackage;
  before(() => {
    pkg = parsePackageXml();
  });

  it('package.xml is valid format 3, ament_cmake, an interface package, versioned like package.json', () => {
    const { version } = JSON.parse(read('package.json')) as { version: string };
    assert.equal(pkg.name, 'taskmem');
    assert.equal(pkg.format, 3);
    assert.equal(pkg.version, version);
    assert.equal(pkg.build_type, 'ament_cmake');
    assert.deepEqual(pkg.groups, ['rosidl_interface_packages']);
    assert.ok(pkg.buildtool_depends.includes('rosidl_default_generators'));
    assert.ok(pkg.exec_depends.includes('rosidl_default_runtime'));
  });

  it('package.xml and CMakeLists.txt declare every message package our interfaces are built from', () => {
    const referenced = referencedPackages();
    assert.ok(referenced.has('builtin_interfaces') && referenced.has('geometry_msgs'), [...referenced].join());
    const buildAndRun = pkg.build_depends.filter((name) => pkg.exec_depends.includes(name));
    const cmakeDependencies = /DEPENDENCIES ([\w ]+)\n/.exec(cmake)?.[1]?.split(' ') ?? [];
    for (const name of referenced) {
      assert.ok(buildAndRun.includes(name), `package.xml lacks <depend>${name}</depend>`);
      assert.ok(cmakeDependencies.includes(name), `rosidl_generate_interfaces lacks DEPENDENCIES ${name}`);
      assert.match(cmake, new RegExp(`find_package\\(${name} REQUIRED\\)`));
    }
  });

  it('package.xml declares every package whose messages the node uses (interfaces/)', () => {
    for (const dir of readdirSync(join(repoRoot, 'interfaces'), { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const name = dir.name.split('.')[0]!;
      assert.ok(pkg.exec_depends.includes(name), `package.xml lacks <exec_depend>${name}</exec_depend>`);
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
      writeFileSync(
        join(prefix, 'share/taskmem/dist/src/ros/main.js'),
        'console.log(JSON.stringify({ script: process.argv[1], args: process.argv.slice(2) }));\n',
      );
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
