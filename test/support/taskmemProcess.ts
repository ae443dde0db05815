import { spawn } from 'node:child_process';

/** How a `taskmem` child process ended, with what it printed. */
export interface TaskmemRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** When the stop signal was sent (Date.now()); null when it was not. */
  signalledAt: number | null;
}

/**
 * `taskmem <command> …` in a child process, as a user runs it; `stopWhen` may signal it, once, on its output (or,
 * for a condition outside it, on a poll every 20 ms).
 */
export function taskmemProcess(
  command: string,
  args: string[],
  stopWhen?: (stdout: string) => boolean,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<TaskmemRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalledAt: number | null = null;
    const check = () => {
      if (!stopWhen?.(stdout)) return;
      stopWhen = undefined;
      signalledAt = Date.now();
      child.kill(signal);
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

/** Memory ids of the "stored <id> …" lines `taskmem ingest` prints. */
export function storedIds(stdout: string): string[] {
  return [...stdout.matchAll(/^stored (\S+) /gm)].map((m) => m[1]!);
}
