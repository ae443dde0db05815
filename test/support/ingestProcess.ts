/** `taskmem ingest` run as a user runs it, in a child process, for the tests that drive the command. */
import { spawn } from 'node:child_process';

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `taskmem ingest …` in a child process, as a user runs it; `stopWhen` may signal it, once, on its output (or, for
 * a condition outside it, on a poll every 20 ms), or do `signal` when that is a function (delete its store, stop
 * its server). `signalledAt` is when the signal was sent.
 */
export function ingest(
  args: string[],
  stopWhen?: (stdout: string) => boolean,
  signal: NodeJS.Signals | (() => void) = 'SIGKILL',
): Promise<Run & { signalledAt: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'ingest', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalledAt: number | null = null;
    const check = () => {
      if (!stopWhen?.(stdout)) return;
      stopWhen = undefined;
      signalledAt = Date.now();
      if (typeof signal === 'function') signal();
      else child.kill(signal);
    };
    const poll = setInterval(check, 20);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr, signalledAt });
    });
  });
}

/** Memory ids of the "stored <id> …" lines. */
export function storedIds(stdout: string): string[] {
  return [...stdout.matchAll(/^stored (\S+) /gm)].map((m) => m[1]!);
}
