import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/generate-ros-types.js';

describe('the real-graph tests without a sourced ROS 2', function () {
  this.timeout(120_000);

  it('are not defined, and say so in exactly one skipped line that tells how to enable them', () => {
    const { ROS_DISTRO: _distro, AMENT_PREFIX_PATH: _prefix, ...env } = process.env;
    const files = ['test/ros/real/RosPackage.test.ts', 'test/ros/real/Launch.test.ts', 'test/ros/MemoryNodeScenarios.test.ts'];
    const result = spawnSync(
      process.execPath,
      [join(repoRoot, 'node_modules/mocha/bin/mocha.js'), '--dry-run', '--reporter', 'json', ...files],
      {
        cwd: repoRoot,
        env,
        encoding: 'utf8',
        maxBuffer: 16 << 20,
      },
    );
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { pending: { fullTitle: string }[]; tests: { fullTitle: string }[] };
    assert.equal(report.pending.length, 1, report.pending.map((t) => t.fullTitle).join('\n'));
    assert.match(
      report.pending[0]!.fullTitle,
      /^real ROS 2 graph tests: skipped, .*not sourced; to run them, source a ROS 2 Jazzy .*npm test again$/,
    );
    const defined = report.tests.map((t) => t.fullTitle).filter((t) => t !== report.pending[0]!.fullTitle);
    assert.deepEqual(
      defined.filter((t) => !t.startsWith('memory node scenarios on the rclnodejs double')),
      [],
      'no real-graph test is defined',
    );
    assert.ok(
      report.tests.some((t) => t.fullTitle.startsWith('memory node scenarios on the rclnodejs double')),
      "the double's half of the scenarios still runs",
    );
  });
});
