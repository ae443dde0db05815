import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QuestionError } from '../answer/QuestionError.js';
import { EndpointUnreachableError } from '../assembly/endpoint.js';
import { StoreError } from '../assembly/StoreError.js';
import { RecordingError } from '../bag/McapRecording.js';
import { ConfigError } from '../config/schema.js';
import type { CommandOutput } from './commandArgs.js';
import { ask } from './commands/ask.js';
import { demo } from './commands/demo.js';
import { remember } from './commands/remember.js';
import { report } from './commands/report.js';
import { EXIT, exitCodeOf, OutputError, RunFailedError, runCommand, UsageError } from './exitCodes.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

function taskmem(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('exit codes (one map for every command)', function () {
  this.timeout(120_000);

  it('gives every kind of error its code', () => {
    const cases: [Error, number][] = [
      [new UsageError('x'), 2],
      [new ConfigError('x'), 2],
      [new RecordingError('x'), 2],
      [new QuestionError('x'), 2],
      [new EndpointUnreachableError('x'), 3],
      [new StoreError('x'), 4],
      [new RunFailedError('x'), 4],
      [new OutputError('x'), 5],
    ];
    for (const [error, code] of cases) assert.equal(exitCodeOf(error), code, error.name);
    assert.equal(exitCodeOf(new Error('a bug')), null);
    assert.equal(exitCodeOf(new RangeError('a bug too')), null, 'only the answerer’s own question errors are bad input');
  });

  it('prints one line naming the command and the problem; a bug with its stack and code 70', async () => {
    const lines: string[] = [];
    const io = { out: () => {}, err: (t: string) => lines.push(t) };
    const code = await runCommand('ask', io, () => Promise.reject(new StoreError('no memory store at /x.sqlite (store.path)')));
    assert.deepEqual([code, lines], [EXIT.store, ['taskmem ask: no memory store at /x.sqlite (store.path)']]);
    lines.length = 0;
    const bug = await runCommand('ask', io, () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'x')")));
    assert.equal(bug, EXIT.internal);
    assert.match(
      lines[0]!,
      /^taskmem ask: internal error \(a bug; please report it with what follows\): TypeError: Cannot read properties/,
    );
    assert.match(lines[0]!, /\n {4}at /, 'with its stack');
  });

  it('every command refuses a bad parameter from a flag or a params file with exit 2 and a line naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskmem-exit-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, '/**:\n  ros__parameters:\n    focus: { adapters: [counting] }\n');
      // The commands that take their output as an argument run here; the others as the installed command line.
      const inProcess = async (command: (args: string[], io: CommandOutput) => Promise<number>, args: string[]) => {
        const err: string[] = [];
        const code = await command(args, { out: () => {}, err: (t) => err.push(t) });
        return { code, stdout: '', stderr: err.join('\n') };
      };
      const zone = ['--answerer.time_zone', 'Mars/Olympus'];
      const runs = await Promise.all([
        taskmem(['ingest', 'run.mcap', ...zone]),
        inProcess(ask, ['where?', ...zone]),
        inProcess(report, zone),
        inProcess(remember, ['--again', '--memorizer.url', 'http://gpu-box:8000/v1', ...zone]),
        inProcess(demo, ['--out', join(dir, 'demo'), ...zone]),
        taskmem(['focus', 'status', ...zone]),
        taskmem(['bench', 'jsonl', '--videos', dir, '--qa', file, '--out', dir, ...zone]),
        taskmem(['ingest', 'run.mcap', '--params-file', file]),
        inProcess(ask, ['where?', '--focus.grouping', 'embedding']),
      ]);
      for (const run of runs.slice(0, 7)) {
        assert.equal(run.code, 2, run.stderr);
        assert.match(
          run.stderr.split('\n')[0]!,
          /^taskmem: parameter answerer\.time_zone = "Mars\/Olympus" \(from command line\) is invalid/,
        );
        assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      }
      assert.equal(runs[7].code, 2);
      assert.match(
        runs[7].stderr,
        /^taskmem: parameter focus\.adapters = "counting" \(from params file .*bad\.yaml\) is invalid: entry "counting"/,
      );
      assert.equal(runs[8].code, 2);
      assert.match(
        runs[8].stderr,
        /^taskmem: parameter focus\.grouping = "embedding" \(from command line\) is invalid: needs an embedding source/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
