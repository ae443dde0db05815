import { spawn } from 'node:child_process';

export interface CommandRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CommandRunOptions {
  /** Checked on every output and every 20 ms: when it holds, `signal` is sent to the command, once. */
  stopWhen?: (run: { stdout: string; stderr: string }) => boolean;
  signal?: NodeJS.Signals;
}

/** `taskmem <command> …` in a child process, as a user runs it (no API key in its environment). */
export function taskmem(command: string, args: string[], { stopWhen, signal = 'SIGINT' }: CommandRunOptions = {}): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TASKMEM_API_KEY: '' },
    });
    let stdout = '';
    let stderr = '';
    let armed = stopWhen;
    const check = () => {
      if (!armed?.({ stdout, stderr })) return;
      armed = undefined;
      child.kill(signal);
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
      resolve({ code, signal, stdout, stderr });
    });
  });
}
