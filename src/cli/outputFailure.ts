import { isAbsolute, relative, resolve } from 'node:path';
import { OutputError } from './exitCodes.js';

/** What is wrong when a file cannot be written, and what to do, by the system's error code. */
function problem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full; free space or write it to another disk';
    case 'EFBIG':
      return 'the file may not grow this large (a file-size limit such as ulimit -f); raise the limit or write it elsewhere';
    case 'ENOENT':
      return 'its folder does not exist; create it or choose another';
    case 'ENOTDIR':
      return 'a part of its path is a file, not a folder; choose another path';
    case 'EACCES':
    case 'EPERM':
      return 'no permission to write there; choose a folder you can write';
    case 'EROFS':
      return 'the file system is read-only; choose a folder on another';
    case 'EISDIR':
      return 'it is a folder; give a file name';
    default:
      return error.message;
  }
}

/**
 * The OutputError (exit code 5) of `what` (a file, or a flag and its file: `--memories-out run.mcap`) that could
 * not be written because of `error`: one line naming the file, the problem and what to do.
 */
export function outputFailure(what: string, error: unknown): OutputError {
  const message = error instanceof Error ? problem(error) : String(error);
  return new OutputError(`cannot write ${what}: ${message}`, { cause: error });
}

/**
 * The OutputError of a file system error on a file inside `folder` (a command's output folder: a full disk while
 * the demo or a benchmark run writes there); null for any other error, which keeps its own kind.
 */
export function outputFailureIn(folder: string, error: unknown): OutputError | null {
  const path = (error as NodeJS.ErrnoException | null)?.path;
  if (!(error instanceof Error) || typeof path !== 'string') return null;
  const inside = relative(resolve(folder), resolve(path));
  return inside.startsWith('..') || isAbsolute(inside) ? null : outputFailure(path, error);
}
