/**
 * `taskmem report`: writes the timeline page (one self-contained HTML file) from the memories in the store and
 * the questions the robot was asked, with the answers and evidence recorded for them.
 */
import { writeFile } from 'node:fs/promises';
import { TimeExpressions } from '../../answer/TimeExpressions.js';
import { openStore } from '../../assembly/openStore.js';
import { silentLogger } from '../../log.js';
import { expandHome } from '../../memory/SqliteMemoryStore.js';
import { loadTimeline, MAX_MEMORIES, type TimelineFilter } from '../../report/loadTimeline.js';
import { renderTimeline } from '../../report/TimelineReport.js';
import { commandArgs, consoleOutput, type CommandOutput } from '../commandArgs.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';
import { outputFailure } from '../outputFailure.js';
import { writeWhole } from '../../writeWhole.js';

export const summary = 'write the timeline page (memories, thumbnails, questions and their evidence) as HTML';

const USAGE = `usage: taskmem report [--out timeline.html] [--robot <id>] [--since <time>] [--until <time>] [--params-file taskmem.yaml] [--<parameter> <value>]…

Writes one HTML file that opens in any browser without network access: the memories in the store
(store.backend, store.path or store.url) along time with their keyframe thumbnails (kept when store.thumbnails
was on), who wrote them (policy or perception), task group and quality scores; the questions the robot was asked
with the answers and the memories they rest on; and the robot's path when poses were recorded.

  --out <file>      where to write the page (default timeline.html)
  --robot <id>      only this robot's memories and questions
  --since <time>    only memories overlapping this time or later ("1 hour ago", "yesterday", "2026-11-21 08:00")
  --until <time>    only memories before this time

At most ${MAX_MEMORIES} memories (the newest) are shown; narrow the range for more. Times are read and shown in answerer.time_zone.

--out never replaces the store (store.path, its -wal and -shm files) or the params file, by any name: such an
--out is refused (exit 2).

exit codes: 0 written; 2 bad arguments or configuration, or an --out that would replace the store; 4 store error;
            5 cannot write the page`;

export function run(args: string[]): Promise<number> {
  return report(args, consoleOutput);
}

/** The command with its output passed in; returns the exit code. */
export function report(args: string[], io: CommandOutput): Promise<number> {
  return runCommand('report', io, async () => {
    const fromArgs = commandArgs(args, io, { usage: USAGE, hint: 'run `taskmem report --help` for the options', parse: parseArgs });
    if ('exit' in fromArgs) return fromArgs.exit;
    const { config, parsed, outputs } = fromArgs;
    // Refused before the store is read: --out naming the store would otherwise replace it with the page.
    const out = outputs.file(parsed.out, '--out', 'timeline.html');
    const timeZone = config.answerer.time_zone;
    const times = new TimeExpressions({ timeZone });
    const now = BigInt(Date.now()) * 1_000_000n;
    const filter: TimelineFilter = {};
    if (parsed.robot !== undefined) filter.robotId = parsed.robot;
    if (parsed.since !== undefined)
      filter.since = /^\d{10,}$/.test(parsed.since) ? BigInt(parsed.since) : times.bound(parsed.since, 'since', now);
    if (parsed.until !== undefined)
      filter.until = /^\d{10,}$/.test(parsed.until) ? BigInt(parsed.until) : times.bound(parsed.until, 'until', now);
    const store = await openStore(config.store, { logger: silentLogger, mustExist: true });
    let timeline;
    try {
      timeline = await loadTimeline(store, filter);
    } finally {
      await store.close();
    }
    const { memories, questions, truncated } = timeline;
    const where = config.store.backend === 'sqlite' ? expandHome(config.store.path) : 'PostgreSQL';
    const html = renderTimeline({
      title: `taskmem timeline${filter.robotId ? ` of ${filter.robotId}` : ''} (${where})`,
      memories,
      questions,
      timeZone,
    });
    try {
      await writeWhole(out, (temporary) => writeFile(temporary, html));
    } catch (error) {
      throw outputFailure(out, error);
    }
    if (memories.length === 0) io.err('taskmem report: no memories match; the page is empty');
    if (truncated) io.err(`taskmem report: only the newest ${MAX_MEMORIES} memories are shown; narrow the range with --since/--until`);
    io.out(`timeline written to ${out} (${memories.length} memories, ${questions.length} questions)`);
    return EXIT.ok;
  });
}

function parseArgs(rest: string[]): { out: string; robot?: string; since?: string; until?: string } {
  const parsed: { out: string; robot?: string; since?: string; until?: string } = { out: 'timeline.html' };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const match = /^--(out|robot|since|until)(?:=(.*))?$/s.exec(arg);
    if (!match)
      throw new UsageError(arg.startsWith('-') ? `taskmem report: unknown option ${arg}` : `taskmem report: unexpected argument "${arg}"`);
    const value = match[2] ?? rest[++i];
    if (value === undefined || value === '') throw new UsageError(`taskmem report: --${match[1]} needs a value`);
    parsed[match[1] as 'out' | 'robot' | 'since' | 'until'] = value;
  }
  return parsed;
}
