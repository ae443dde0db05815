import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRecording } from '../../demo/ScriptedRecording.js';
import { repoRoot } from '../../../scripts/generate-ros-types.js';

/** `taskmem play` as a user runs it from a clone, without a sourced ROS 2 (the real-graph tests play with one). */
function play(...args: string[]) {
  const { ROS_DISTRO: _distro, AMENT_PREFIX_PATH: _prefix, ...env } = process.env;
  return spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'play', ...args], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
  });
}

describe('taskmem play', function () {
  this.timeout(60_000);

  it('refuses bad arguments and a missing recording with exit 2, naming the problem', () => {
    const rate = play('run.mcap', '--rate', '0');
    assert.equal(rate.status, 2);
    assert.match(rate.stderr, /--rate must be a number above 0, not 0/);
    const missing = play(join(repoRoot, 'no-such.mcap'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no-such\.mcap: no such file/);
  });

  it('prints its usage, and says that ROS 2 must be sourced (exit 2) before it plays anything', async () => {
    const help = play('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: taskmem play <recording> /);
    const dir = mkdtempSync(join(tmpdir(), 'taskmem-play-'));
    try {
      const recording = await writeRecording({
        path: join(dir, 'r.mcap'),
        durationS: 1,
        fps: 2,
        width: 64,
        height: 48,
        audio: 'none',
        pose: 'none',
      });
      const result = play(recording.path);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /^taskmem play: taskmem: ROS 2 is not sourced .*source \/opt\/ros\/<distro>\/setup\.bash/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
