/**
 * `taskmem forget --id <id>… | --text <words> [--since <time>] [--until <time>]`: what the node's ~/forget service
 * does, without ROS: the memories go, with everything that quotes them.
 */
import { TimeExpressions } from '../../answer/TimeExpressions.js';
import { openStore } from '../../assembly/openStore.js';
import { silentLogger } from '../../log.js';
import type { ForgetQuery } from '../../memory/MemoryStore.js';
import { terminalSafe } from '../../text/terminalSafe.js';
import { formatStamp } from '../../time.js';
import { commandArgs, consoleOutput, type CommandOutput } from '../commandArgs.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';

export const summary = 'forget memories (by id, words and/or time), with the answers and preference pairs that quote them';

const USAGE = `usage: taskmem forget [--id <memory id>]… [--text <words>] [--since <time>] [--until <time>] [--params-file taskmem.yaml] [--<parameter> <value>]…

Forgets the memories that match every criterion given (at least one): ids, words (a memory must hold every word,
so "the red mug" does not forget every red thing) and a time range (--since/--until: "yesterday", "2 hours ago",
an ISO date, or ROS nanoseconds). With them go their full-text entries, thumbnails and vectors, the recorded
answers that cite or quote them and the preference pairs that show them; on SQLite the freed bytes are
overwritten (docs/data-safety.md). Prints each memory forgotten.

exit codes: 0 done (also when nothing matched); 2 bad arguments or configuration; 4 store error`;

interface ForgetArgs {
  ids: string[];
  text?: string;
  since?: string;
  until?: string;
}

export function run(args: string[]): Promise<number> {
  return forget(args, consoleOutput);
}

/** The command with its output passed in. Returns the exit code. */
export function forget(args: string[], io: CommandOutput): Promise<number> {
  return runCommand('forget', io, async () => {
    const fromArgs = commandArgs(args, io, { usage: USAGE, hint: 'run `taskmem forget --help` for the options', parse: parseArgs });
    if ('exit' in fromArgs) return fromArgs.exit;
    const { config, parsed } = fromArgs;
    const times = new TimeExpressions({ timeZone: config.answerer.time_zone });
    const now = BigInt(Date.now()) * 1_000_000n;
    const bound = (text: string, side: 'since' | 'until') => (/^\d{10,}$/.test(text) ? BigInt(text) : times.bound(text, side, now));
    const query: ForgetQuery = {
      ...(parsed.ids.length > 0 ? { ids: parsed.ids } : {}),
      ...(parsed.text === undefined ? {} : { text: parsed.text }),
      ...(parsed.since === undefined ? {} : { since: bound(parsed.since, 'since') }),
      ...(parsed.until === undefined ? {} : { until: bound(parsed.until, 'until') }),
    };
    const store = await openStore(config.store, { logger: silentLogger, mustExist: true });
    try {
      const forgotten = await store.forget(query);
      for (const memory of forgotten) io.out(terminalSafe(`forgot ${memory.id} ${formatStamp(memory.start)}`, { newlines: false }));
      io.err(`taskmem forget: ${forgotten.length} ${forgotten.length === 1 ? 'memory' : 'memories'} forgotten`);
      return EXIT.ok;
    } finally {
      await store.close();
    }
  });
}

function parseArgs(rest: string[]): ForgetArgs {
  const parsed: ForgetArgs = { ids: [] };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const match = /^--(id|text|since|until)(?:=(.*))?$/s.exec(arg);
    if (!match)
      throw new UsageError(arg.startsWith('-') ? `taskmem forget: unknown option ${arg}` : `taskmem forget: unexpected argument "${arg}"`);
    const value = match[2] ?? rest[++i];
    if (value === undefined || value.trim() === '') throw new UsageError(`taskmem forget: --${match[1]} needs a value`);
    if (match[1] === 'id') parsed.ids.push(value);
    else parsed[match[1] as 'text' | 'since' | 'until'] = value;
  }
  if (parsed.ids.length === 0 && parsed.text === undefined && parsed.since === undefined && parsed.until === undefined)
    throw new UsageError('taskmem forget: what to forget? give --id, --text, --since or --until (forgetting everything is not a query)');
  return parsed;
}
