import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/generate-ros-types.js';

describe('the Debian packages the tests need', () => {
  it('npm test names the missing ones and how to install them, instead of failing later with a traceback', () => {
    const bin = mkdtempSync(join(tmpdir(), 'taskmem-no-packages-'));
    try {
      // A Debian where nothing is installed yet.
      writeFileSync(join(bin, 'dpkg-query'), '#!/bin/sh\nexit 1\n');
      chmodSync(join(bin, 'dpkg-query'), 0o755);
      const { ROS_DISTRO: _ros, ...env } = process.env;
      const result = spawnSync(join(repoRoot, 'scripts/install-test-packages'), ['--check'], {
        env: { ...env, PATH: `${bin}:${process.env['PATH']}` },
        encoding: 'utf8',
      });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^npm test needs Debian packages that are not installed: python3-rosidl python3-empy .*postgresql git\n/);
      assert.match(result.stderr, /install them with: scripts\/install-test-packages\n$/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("check-interfaces says which package to install when ROS 2's IDL tools cannot be imported", () => {
    // -S leaves out the site folders where Debian's python3-rosidl lives.
    const result = spawnSync('/usr/bin/python3', ['-S', join(repoRoot, 'scripts/check-interfaces')], { encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /^check-interfaces: ROS 2's IDL tools cannot be imported by .*install Debian's python3-rosidl with `scripts\/install-test-packages`\n$/,
    );
    assert.doesNotMatch(result.stderr, /Traceback/);
  });
});
