import { cliHelp, configFromArgs } from '../config/cliFlags.js';
import type { Config } from '../config/schema.js';
import { redactCredentials } from '../text/redactCredentials.js';
import { terminalSafe } from '../text/terminalSafe.js';
import { EXIT, exitCodeOf, UsageError } from './exitCodes.js';
import { OutputPaths } from './OutputPaths.js';

/** Where a command writes: its output to `out`, problems to `err`. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/**
 * The terminal: output on stdout, problems on stderr. Everything printed is made terminal-safe (stored text may
 * hold escape codes) and problems have URL credentials redacted (an error may quote an endpoint or store URL).
 */
export const consoleOutput: CommandOutput = {
  out: (t) => console.log(terminalSafe(t)),
  err: (t) => console.error(terminalSafe(redactCredentials(t))),
};

export interface CommandSpec<T> {
  /** The command's own usage text, printed with the parameter help for --help or -h. */
  usage: string;
  /** Printed after a blank line below a usage or configuration error; nothing when absent. */
  hint?: string;
  /** The command's own arguments (those that are not parameter flags); throws a UsageError when they are wrong. */
  parse(rest: string[], config: Config): T;
}

/**
 * The configuration (defaults < --params-file < parameter flags), the command's own arguments and the guard of
 * what it may write (protecting the store and the params file; the command adds its inputs), or the exit code when
 * the command is already done: 0 after printing help; that of bad input (2) after printing a usage or
 * configuration error, with the hint.
 */
export function commandArgs<T>(
  argv: string[],
  io: CommandOutput,
  spec: CommandSpec<T>,
): { config: Config; parsed: T; outputs: OutputPaths } | { exit: typeof EXIT.ok | typeof EXIT.badInput } {
  try {
    const fromArgs = configFromArgs(argv);
    if (fromArgs.help || fromArgs.rest.includes('-h')) {
      io.out(`${spec.usage}\n\n${cliHelp()}`);
      return { exit: EXIT.ok };
    }
    return {
      config: fromArgs.config,
      parsed: spec.parse(fromArgs.rest, fromArgs.config),
      outputs: OutputPaths.of(fromArgs.config, fromArgs.paramsFile),
    };
  } catch (error) {
    if (exitCodeOf(error) !== EXIT.badInput) throw error;
    const message = (error as Error).message;
    io.err(spec.hint === undefined ? message : `${message}\n\n${spec.hint}`);
    return { exit: EXIT.badInput };
  }
}

/** The one recording a command reads, from its positional arguments; a UsageError naming `command` otherwise. */
export function oneRecording(command: string, positional: readonly string[]): string {
  if (positional.length === 1) return positional[0]!;
  throw new UsageError(
    positional.length === 0
      ? `taskmem ${command}: which recording? (a .mcap or .db3 file, or a rosbag2 bag directory)`
      : `taskmem ${command}: one recording at a time (got ${positional.join(', ')})`,
  );
}
