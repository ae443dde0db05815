/**
 * `taskmem report`: writes the timeline page (one self-contained HTML file) from the memories in the store and
 * the questions the robot was asked, with the answers and evidence recorded for them.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkTimeZone } from '../../answer/LocalTime.js';
import { TimeExpressions } from '../../answer/TimeExpressions.js';
import type { Config } from '../../config/schema.js';
import type { Memory } from '../../memory/Memory.js';
import type { MemoryStore } from '../../memory/MemoryStore.js';
import { openMemoryStore } from '../../memory/openMemoryStore.js';
import { expandHome } from '../../memory/SqliteMemoryStore.js';
import { renderTimeline, type TimelineQuestion } from '../../report/TimelineReport.js';
import type { RosNanos } from '../../time.js';
import { commandArgs, consoleOutput, UsageError, type CommandOutput } from '../commandArgs.js';

/** The page stays a few megabytes with thumbnails; a longer span is read in slices with --since/--until. */
const MAX_MEMORIES = 5000;

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

exit codes: 0 written; 2 bad arguments or configuration; 4 store error; 5 cannot write the page`;

export interface TimelineFilter {
  robotId?: string;
  since?: RosNanos;
  until?: RosNanos;
}

/** The memories (oldest first, at most MAX_MEMORIES of the newest) and the questions with their recorded answers. */
export async function loadTimeline(
  store: MemoryStore,
  filter: TimelineFilter,
): Promise<{ memories: Memory[]; questions: TimelineQuestion[]; truncated: boolean }> {
  const { memories: scored } = await store.recall({ ...filter, limit: MAX_MEMORIES + 1 });
  const memories = scored
    .slice(0, MAX_MEMORIES)
    .map((s) => s.memory)
    .reverse();
  const tasks = await store.answeredTasks(filter);
  const questions = tasks
    .filter((t) => t.kind === 'ask')
    .map((t) => ({ id: t.id, text: t.text, askedAt: t.stamp, group: t.group, answer: t.answer }));
  return { memories, questions, truncated: scored.length > MAX_MEMORIES };
}

export function run(args: string[]): Promise<number> {
  return report(args, consoleOutput);
}

/** The command with its output passed in; returns the exit code. */
export async function report(args: string[], io: CommandOutput): Promise<number> {
  const fromArgs = commandArgs(args, io, { usage: USAGE, hint: 'run `taskmem report --help` for the options', parse: parseArgs });
  if ('exit' in fromArgs) return fromArgs.exit;
  const { config, parsed } = fromArgs;
  const timeZone = config.answerer.time_zone;
  const filter: TimelineFilter = {};
  try {
    const times = new TimeExpressions({ timeZone });
    const now = BigInt(Date.now()) * 1_000_000n;
    if (parsed.robot !== undefined) filter.robotId = parsed.robot;
    if (parsed.since !== undefined)
      filter.since = /^\d{10,}$/.test(parsed.since) ? BigInt(parsed.since) : times.bound(parsed.since, 'since', now);
    if (parsed.until !== undefined)
      filter.until = /^\d{10,}$/.test(parsed.until) ? BigInt(parsed.until) : times.bound(parsed.until, 'until', now);
  } catch (error) {
    io.err(`taskmem report: ${(error as Error).message}`);
    return 2;
  }
  if (config.store.backend === 'sqlite' && !existsSync(expandHome(config.store.path))) {
    io.err(
      `taskmem report: no memory store at ${expandHome(config.store.path)} (store.path); memorize something first, e.g. taskmem ingest <recording.mcap> or taskmem demo`,
    );
    return 4;
  }
  let store: MemoryStore;
  try {
    store = await openMemoryStore(config.store);
  } catch (error) {
    io.err(`taskmem report: cannot open the store: ${(error as Error).message}`);
    return 4;
  }
  let html: string;
  let shown: { memories: number; questions: number; truncated: boolean };
  try {
    const { memories, questions, truncated } = await loadTimeline(store, filter);
    const where = config.store.backend === 'sqlite' ? expandHome(config.store.path) : 'PostgreSQL';
    html = renderTimeline({
      title: `taskmem timeline${filter.robotId ? ` of ${filter.robotId}` : ''} (${where})`,
      memories,
      questions,
      timeZone,
    });
    shown = { memories: memories.length, questions: questions.length, truncated };
  } catch (error) {
    io.err(`taskmem report: cannot read the store: ${(error as Error).message}`);
    return 4;
  } finally {
    await store.close();
  }
  const out = resolve(parsed.out);
  try {
    writeFileSync(out, html);
  } catch (error) {
    io.err(`taskmem report: cannot write ${out}: ${(error as Error).message}`);
    return 5;
  }
  if (shown.memories === 0) io.err('taskmem report: no memories match; the page is empty');
  if (shown.truncated) io.err(`taskmem report: only the newest ${MAX_MEMORIES} memories are shown; narrow the range with --since/--until`);
  io.out(`timeline written to ${out} (${shown.memories} memories, ${shown.questions} questions)`);
  return 0;
}

function parseArgs(rest: string[], config: Config): { out: string; robot?: string; since?: string; until?: string } {
  try {
    checkTimeZone(config.answerer.time_zone);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
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
