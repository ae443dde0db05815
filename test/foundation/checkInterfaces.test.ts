import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/generate-ros-types.js';

const script = join(repoRoot, 'scripts/check-interfaces');

function check(root?: string) {
  const result = spawnSync(script, root === undefined ? [] : [root], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return result;
}

/** A package root holding the given files, e.g. `{ 'msg/Pose2.msg': 'float64 x' }`. */
function packageWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'taskmem-interfaces-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('scripts/check-interfaces', function () {
  this.timeout(30_000);
  const roots: string[] = [];
  after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

  it('accepts every interface definition of the repository', () => {
    const result = check();
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /\d+ interface definitions valid/);
  });

  it("reports a broken file with the rosidl parser's message and fails", () => {
    const root = packageWith({
      'msg/Good.msg': 'builtin_interfaces/Time stamp\nstring text\n',
      'msg/Bad.msg': 'string Text\n',
      'interfaces/builtin_interfaces/msg/Time.msg': 'int32 sec\nuint32 nanosec\n',
    });
    roots.push(root);
    const result = check(root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /msg\/Bad\.msg: NameError: 'Text' is an invalid field name\. It should have the pattern/);
    assert.doesNotMatch(result.stderr, /Good\.msg/);
  });

  it('fails on a field type no definition provides, and on a malformed action', () => {
    const root = packageWith({
      'msg/Uses.msg': 'geometry_msgs/Pose pose\n',
      'action/Half.action': 'string question\n---\nstring answer\n',
    });
    roots.push(root);
    const result = check(root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Uses\.msg: UnknownMessageType: field 'pose' has type geometry_msgs\/Pose/);
    assert.match(result.stderr, /Half\.action: InvalidActionSpecification: Number of '---' separators nonconformant/);
  });
});
