import { QuestionError } from '../answer/QuestionError.js';
import { EndpointUnreachableError } from '../assembly/endpoint.js';
import { StoreError } from '../assembly/StoreError.js';
import { RecordingError } from '../bag/McapRecording.js';
import { ConfigError } from '../config/schema.js';
import { EpisodeBusyError } from '../memory/EpisodeClaims.js';
import type { CommandOutput } from './commandArgs.js';
import { UnsafeOutputError } from './OutputPaths.js';

/** The exit codes of every taskmem command. */
export const EXIT = {
  ok: 0,
  /** Some segments failed; they are recorded in the store and a rerun retries them. */
  segmentsFailed: 1,
  /** Bad arguments, configuration, recording or question, or an output that would write over the store or an input. */
  badInput: 2,
  /** The policy endpoint is unreachable and nothing may write in its place. */
  endpointUnreachable: 3,
  /** The memory store cannot be opened, read or written. */
  store: 4,
  /** A long run stopped part-way on something it could not use (the benchmark's: a video that cannot be read). */
  runFailed: 4,
  /** An output file cannot be written. */
  output: 5,
  /** An error no kind below covers: a bug, reported with its stack trace (BSD's EX_SOFTWARE). */
  internal: 70,
  /** Stopped by Ctrl-C or SIGTERM; a rerun resumes. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Bad command-line arguments (a command's own options, not a parameter: those are ConfigErrors). Its message is
 * the whole line, `taskmem <command>: …`.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A long run stopped part-way on something it could not use (the benchmark: a video that cannot be read); what
 * was finished is kept, and a rerun resumes.
 */
export class RunFailedError extends Error {
  override name = 'RunFailedError';
}

/** A file the command writes cannot be written (no such folder, no permission, disk full). */
export class OutputError extends Error {
  override name = 'OutputError';
}

type ErrorClass = abstract new (...args: never[]) => Error;

interface ErrorKind {
  kind: ErrorClass;
  code: ExitCode;
  /** Its message is a whole line already, naming where it comes from (`taskmem: parameter …`). */
  namesItself?: true;
}

/**
 * Every kind of error a user can cause or meet, with the exit code every command gives it; an error takes the
 * code of the first class it is an instance of. A new kind is one more row.
 */
const KINDS: readonly ErrorKind[] = [
  { kind: UsageError, code: EXIT.badInput, namesItself: true },
  { kind: ConfigError, code: EXIT.badInput, namesItself: true },
  { kind: RecordingError, code: EXIT.badInput },
  { kind: QuestionError, code: EXIT.badInput },
  { kind: UnsafeOutputError, code: EXIT.badInput },
  { kind: EndpointUnreachableError, code: EXIT.endpointUnreachable },
  { kind: StoreError, code: EXIT.store },
  // A run whose episodes another writer took (after its lease expired) stops: the store is not its to write.
  { kind: EpisodeBusyError, code: EXIT.store },
  { kind: RunFailedError, code: EXIT.runFailed },
  { kind: OutputError, code: EXIT.output },
];

function kindOf(error: unknown): ErrorKind | null {
  return KINDS.find(({ kind }) => error instanceof kind) ?? null;
}

/** The exit code of an error of a known kind; null for any other error. */
export function exitCodeOf(error: unknown): ExitCode | null {
  return kindOf(error)?.code ?? null;
}

/**
 * Runs the body of `taskmem <command>` and returns its exit code. An error of a known kind becomes one line on
 * `io.err` that names the command and the problem, and its kind's exit code; no stack trace, since the user can
 * act on the message. Any other error is a bug: it is reported with its stack trace and exit code 70.
 */
export async function runCommand(command: string, io: CommandOutput, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const known = kindOf(error);
    const message = error instanceof Error ? error.message : String(error);
    if (known === null) {
      io.err(
        `taskmem ${command}: internal error (a bug; please report it with what follows): ${error instanceof Error ? error.stack : message}`,
      );
      return EXIT.internal;
    }
    io.err(known.namesItself ? message : `taskmem ${command}: ${message}`);
    return known.code;
  }
}
