import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** How a `taskmem` child process ended, with everything it printed. */
export interface TaskmemRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** When `stopWhen` sent its signal (Date.now()); null when it did not. */
  signalledAt: number | null;
}

export interface TaskmemOptions {
  /** Sends `signal` once, when this holds on the output so far (checked on output and every 20 ms). */
  stopWhen?: (stdout: string, stderr: string) => boolean;
  /** The signal to send, or what to do instead (delete the store, stop a server). */
  signal?: NodeJS.Signals | (() => void);
  /** Runs the child under `bash -c 'ulimit -f <blocks>'`: files it writes cannot grow past 512-byte blocks. */
  fileSizeLimitBlocks?: number;
  /** Called with the child's pid once it runs. */
  onStart?: (pid: number) => void;
}

/** `taskmem <args>` in a child process, from source, as a user runs it (no API key in its environment). */
export function taskmem(args: string[], options: TaskmemOptions = {}): Promise<TaskmemRun> {
  const { signal = 'SIGKILL', fileSizeLimitBlocks, onStart } = options;
  let { stopWhen } = options;
  const node = [process.execPath, '--import', 'tsx', MAIN, ...args];
  const [command, argv] =
    fileSizeLimitBlocks === undefined
      ? [node[0]!, node.slice(1)]
      : ['bash', ['-c', `ulimit -f ${fileSizeLimitBlocks} && exec "$@"`, 'taskmem', ...node]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TASKMEM_API_KEY: '' } });
    if (child.pid !== undefined) onStart?.(child.pid);
    let stdout = '';
    let stderr = '';
    let signalledAt: number | null = null;
    const check = () => {
      if (!stopWhen?.(stdout, stderr)) return;
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
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      check();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr, signalledAt });
    });
  });
}

/** Memory ids of ingest's "stored <id> …" lines. */
export function storedIds(stdout: string): string[] {
  return [...stdout.matchAll(/^stored (\S+) /gm)].map((m) => m[1]!);
}
