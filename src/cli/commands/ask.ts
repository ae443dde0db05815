/**
 * `taskmem ask "<question>"`: asks a question as the robot takes one — logged as a task, answered from the memory
 * store alone, the answer recorded beside the task — and prints the answer with the memories it rests on (time,
 * place, text), or, with --json, the whole answer for machines.
 */
import { optionLetters } from '../../answer/AnswerPrompt.js';
import { askAsTask } from '../../answer/askAsTask.js';
import { robotFilter } from '../../answer/robotFilter.js';
import { renderAnswer } from '../../answer/renderAnswer.js';
import { TimeExpressions } from '../../answer/TimeExpressions.js';
import { Assembly } from '../../assembly/Assembly.js';
import { consoleLogger, type Logger } from '../../log.js';
import type { MemoryRecords } from '../../memory/MemoryRecords.js';
import type { RosNanos } from '../../time.js';
import { commandArgs, consoleOutput, type CommandOutput } from '../commandArgs.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';

export const summary = 'answer a question from memory alone, with the memories it rests on';

const USAGE = `usage: taskmem ask "<question>" [options] [--params-file taskmem.yaml] [--<parameter> <value>]…

Answers from the memories in the store (store.backend: the SQLite file store.path, or PostgreSQL at store.url)
that existed when the question was asked. As a question to the robot's ~/ask action, it is logged as a task of
the robot (its group --group, else focus.grouping decides), so task focus learns from it, and the answer is
recorded beside it for taskmem report. Time phrases in the question ("this morning", "in the last hour",
"before the visitor arrived") narrow the search; so do:

  --since <time>        only memories overlapping this time or later ("1 hour ago", "yesterday", "2026-11-21 08:00")
  --until <time>        only memories before this time
  --choices <a,b,…>     a multiple-choice question: the options, comma-separated; the answer may also be "cannot tell"
  --at <time>           when the question is asked (default: now); memories written later are not seen
  --robot <id>          whose memories answer: a robot's id, or any (or *) for every robot sharing the store (a fleet
                        on one PostgreSQL); default robot_id. The task is logged for robot_id, or the robot named
  --episode <n>         only this episode
  --group <name>        the task's group: only memories written under it
  --near <x,y,radius>   only memories whose pose lies within radius metres of (x, y)
  --json                print the answer as JSON (ROS times as integer nanoseconds in strings)

The answering model is answerer.url / answerer.model (without it, the answer is the ranked evidence); vectors
come from embedding.url or embedding.onnx_path (without them, retrieval is full-text plus time); times are read
and shown in answerer.time_zone.

exit codes: 0 answered (or evidence shown); 2 bad arguments, configuration or question; 4 store error`;

/** Warnings and errors only: the answer is the output; no startup chatter around it. */
const quiet: Logger = { ...consoleLogger, info: () => {} };

interface AskArgs {
  question: string;
  since?: string;
  until?: string;
  at?: string;
  choices: string[];
  robot?: string;
  episode?: number;
  group?: string;
  near?: { x: number; y: number; radius: number };
  json: boolean;
}

export function run(args: string[]): Promise<number> {
  return ask(args, consoleOutput);
}

/** The command with its output passed in; returns the exit code. */
export function ask(args: string[], io: CommandOutput): Promise<number> {
  return runCommand('ask', io, async () => {
    const fromArgs = commandArgs(args, io, { usage: USAGE, hint: USAGE, parse: parseArgs });
    if ('exit' in fromArgs) return fromArgs.exit;
    const { config, parsed } = fromArgs;
    // The question's times are read before anything is written: a phrase that cannot be read logs no task.
    const times = new TimeExpressions({ timeZone: config.answerer.time_zone });
    const askedAt = parsed.at === undefined ? BigInt(Date.now()) * 1_000_000n : askTime(parsed.at, times);
    const since = parsed.since === undefined ? undefined : times.bound(parsed.since, 'since', askedAt);
    const until = parsed.until === undefined ? undefined : times.bound(parsed.until, 'until', askedAt);
    const assembly = await Assembly.open(config, { logger: quiet, storeMustExist: true });
    try {
      const answerer = assembly.answerer();
      const robotId = robotFilter(parsed.robot, config.robot_id);
      const { answer } = await askAsTask(
        { focus: await assembly.taskFocus(robotId), answerer, store: assembly.store, logger: quiet },
        parsed.question,
        {
          askedAt,
          choices: parsed.choices,
          ...(since === undefined ? {} : { since }),
          ...(until === undefined ? {} : { until }),
          ...(robotId === undefined ? {} : { robotId }),
          ...(parsed.episode === undefined ? {} : { episode: parsed.episode }),
          ...(parsed.group === undefined ? {} : { taskGroup: parsed.group }),
          ...(parsed.near === undefined ? {} : { near: parsed.near }),
        },
      );
      io.out(
        parsed.json
          ? JSON.stringify(answer, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v), 2)
          : renderAnswer(answer, parsed.choices, answerer.timeZone),
      );
      if (answer.evidence.length === 0 && robotId !== undefined) {
        const hint = await otherRobotsHint(assembly.store, robotId);
        if (hint) io.err(hint);
      }
      return EXIT.ok;
    } finally {
      await assembly.close();
    }
  });
}

/**
 * Said when a question found nothing because the store holds no memory of the robot asked about, only of others
 * (say a recording ingested with --robot_id r1, asked without it): which flag would find them.
 */
async function otherRobotsHint(store: MemoryRecords, robotId: string): Promise<string | null> {
  if ((await store.recall({ robotId, limit: 1 })).memories.length > 0) return null;
  const all = await store.count();
  if (all === 0) return null;
  const some = (await store.recall({ limit: 1 })).memories[0];
  return (
    `taskmem ask: the store holds no memory of robot ${robotId} (robot_id), but ${all} of other robots` +
    `${some ? `, e.g. ${some.memory.robotId}` : ''}: ask with --robot_id <id> or --robot any`
  );
}

/** --at: ROS nanoseconds, a stamp ("2026-11-21 14:00", local to answerer.time_zone) or "1 hour ago". */
function askTime(at: string, times: TimeExpressions): RosNanos {
  if (/^\d{10,}$/.test(at)) return BigInt(at);
  return times.bound(at, 'since', BigInt(Date.now()) * 1_000_000n);
}

/** The command's own options, from the arguments that are not parameter flags. */
function parseArgs(rest: string[]): AskArgs {
  const words: string[] = [];
  const out: Omit<AskArgs, 'question'> = { choices: [], json: false };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    if (arg === '--json') {
      out.json = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const value = eq === -1 ? rest[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`taskmem ask: --${name} needs a value`);
    switch (name) {
      case 'since':
      case 'until':
      case 'at':
      case 'robot':
      case 'group':
        out[name] = value;
        break;
      case 'choices':
        out.choices = value
          .split(',')
          .map((c) => c.trim())
          .filter((c) => c !== '');
        break;
      case 'episode':
        if (!/^\d+$/.test(value)) throw new UsageError(`taskmem ask: --episode takes a whole number, got "${value}"`);
        out.episode = Number(value);
        break;
      case 'near': {
        const parts = value.split(',').map(Number);
        if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p)) || parts[2]! <= 0)
          throw new UsageError(`taskmem ask: --near takes x,y,radius in metres, got "${value}"`);
        out.near = { x: parts[0]!, y: parts[1]!, radius: parts[2]! };
        break;
      }
      default:
        throw new UsageError(`taskmem ask: unknown option --${name}`);
    }
  }
  const question = words.join(' ').trim();
  if (!question) throw new UsageError('taskmem ask: what is the question?');
  // More options than there are letters is refused before anything is written.
  optionLetters(out.choices.length);
  return { ...out, question };
}
