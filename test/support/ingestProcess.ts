/** `taskmem ingest` run as a user runs it, in a child process, for the tests that drive the command. */
import { taskmem, type TaskmemRun } from './taskmemProcess.js';

export { storedIds } from './taskmemProcess.js';

/**
 * `taskmem ingest …` in a child process; `stopWhen` may signal it, once, on its output (or, for a condition outside
 * it, on a poll every 20 ms), or do `signal` when that is a function (delete its store, stop its server).
 */
export function ingest(
  args: string[],
  stopWhen?: (stdout: string) => boolean,
  signal: NodeJS.Signals | (() => void) = 'SIGKILL',
): Promise<TaskmemRun> {
  return taskmem(['ingest', ...args], { ...(stopWhen ? { stopWhen: (stdout) => stopWhen(stdout) } : {}), signal });
}
