/**
 * `taskmem ask "<question>"`: answers a question from the memory store alone and prints the answer with the
 * memories it rests on (time, place, text), or, with --json, the whole answer for machines.
 */
import { existsSync } from 'node:fs';
import type { Answer } from '../../answer/Answer.js';
import { formatLocal } from '../../answer/LocalTime.js';
import { openAnswerer } from '../../answer/openAnswerer.js';
import { TimeExpressions } from '../../answer/TimeExpressions.js';
import { openEmbeddingSource } from '../../embed/openEmbeddingSource.js';
import type { EmbeddingSource } from '../../embed/EmbeddingSource.js';
import { consoleLogger, type Logger } from '../../log.js';
import type { MemoryStore } from '../../memory/MemoryStore.js';
import { openMemoryStore } from '../../memory/openMemoryStore.js';
import { expandHome } from '../../memory/SqliteMemoryStore.js';
import type { RosNanos } from '../../time.js';
import { terminalSafe } from '../../text/terminalSafe.js';
import { commandArgs, consoleOutput, UsageError, type CommandOutput } from '../commandArgs.js';

export const summary = 'answer a question from memory alone, with the memories it rests on';

const USAGE = `usage: taskmem ask "<question>" [options] [--params-file taskmem.yaml] [--<parameter> <value>]…

Answers from the memories in the store (store.backend: the SQLite file store.path, or PostgreSQL at store.url) that existed when the question was asked. Time phrases in
the question ("this morning", "in the last hour", "before the visitor arrived") narrow the search; so do:

  --since <time>        only memories overlapping this time or later ("1 hour ago", "yesterday", "2026-11-21 08:00")
  --until <time>        only memories before this time
  --choices <a,b,…>     a multiple-choice question: the options, comma-separated; the answer may also be "cannot tell"
  --at <time>           when the question is asked (default: now); memories written later are not seen
  --robot <id>          only this robot's memories
  --episode <n>         only this episode
  --group <name>        only memories written under this task group
  --near <x,y,radius>   only memories whose pose lies within radius metres of (x, y)
  --json                print the answer as JSON (ROS times as integer nanoseconds in strings)

The answering model is answerer.url / answerer.model (without it, the answer is the ranked evidence); vectors
come from embedding.url or embedding.onnx_path (without them, retrieval is full-text plus time); times are read
and shown in answerer.time_zone.

exit codes: 0 answered (or evidence shown); 2 bad arguments or configuration; 4 store error`;

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
export async function ask(args: string[], io: CommandOutput): Promise<number> {
  const fromArgs = commandArgs(args, io, { usage: USAGE, hint: USAGE, parse: parseArgs });
  if ('exit' in fromArgs) return fromArgs.exit;
  const { config, parsed } = fromArgs;
  if (config.store.backend === 'sqlite' && !existsSync(expandHome(config.store.path))) {
    io.err(
      `taskmem ask: no memory store at ${expandHome(config.store.path)} (store.path); memorize something first, e.g. taskmem ingest <recording.mcap>`,
    );
    return 4;
  }
  let store: MemoryStore;
  try {
    store = await openMemoryStore(config.store, quiet);
  } catch (error) {
    io.err(`taskmem ask: cannot open the store: ${(error as Error).message}`);
    return 4;
  }
  let embedder: EmbeddingSource | null = null;
  try {
    embedder = await openEmbeddingSource(config);
    const answerer = openAnswerer(config, store, embedder, quiet);
    const askedAt = parsed.at === undefined ? BigInt(Date.now()) * 1_000_000n : askTime(parsed.at, answerer.timeZone);
    const answer = await answerer.ask(parsed.question, {
      askedAt,
      choices: parsed.choices,
      ...(parsed.since === undefined ? {} : { since: parsed.since }),
      ...(parsed.until === undefined ? {} : { until: parsed.until }),
      ...(parsed.robot === undefined ? {} : { robotId: parsed.robot }),
      ...(parsed.episode === undefined ? {} : { episode: parsed.episode }),
      ...(parsed.group === undefined ? {} : { taskGroup: parsed.group }),
      ...(parsed.near === undefined ? {} : { near: parsed.near }),
    });
    io.out(
      parsed.json
        ? JSON.stringify(answer, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v), 2)
        : renderAnswer(answer, parsed.choices, answerer.timeZone),
    );
    return 0;
  } catch (error) {
    if (error instanceof RangeError || (error as Error).message.startsWith('parameter ')) {
      io.err(`taskmem ask: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  } finally {
    await embedder?.close();
    await store.close();
  }
}

/** --at: ROS nanoseconds, a stamp ("2026-11-21 14:00", local to answerer.time_zone) or "1 hour ago". */
function askTime(at: string, timeZone: string): RosNanos {
  if (/^\d{10,}$/.test(at)) return BigInt(at);
  return new TimeExpressions({ timeZone }).bound(at, 'since', BigInt(Date.now()) * 1_000_000n);
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
  return { ...out, question };
}

/**
 * The answer as the command prints it: the answer line, then each memory it rests on (time, place, id, text).
 * Text from the store, the question and the model's answer are printed terminal-safe on one line each, so none
 * can move the cursor, retitle the window or forge a line of the output.
 */
export function renderAnswer(answer: Answer, choices: readonly string[], timeZone: string): string {
  const time = (t: RosNanos) => formatLocal(Number(t / 1_000_000n), timeZone);
  const safe = (text: string) => terminalSafe(text, { newlines: false });
  const lines = [`Question: ${safe(answer.question)}  (asked ${time(answer.askedAt)})`];
  if (answer.answeredBy === '') lines.push('No model answered; the memories that match best:');
  else if (answer.abstained)
    lines.push(`Answer: cannot tell from memory (confidence ${answer.confidence.toFixed(2)}, ${safe(answer.answeredBy)})`);
  else {
    const choice = choices.length > 0 && answer.choice ? `${answer.choice}. ` : '';
    lines.push(`Answer: ${safe(choice)}${safe(answer.answer)}  (confidence ${answer.confidence.toFixed(2)}, ${safe(answer.answeredBy)})`);
  }
  if (answer.evidence.length > 0) {
    lines.push('', answer.answeredBy === '' ? 'Memories:' : 'Evidence:');
    answer.evidence.forEach((e, i) => {
      const place = e.pose ? `  at (${e.pose.x.toFixed(2)}, ${e.pose.y.toFixed(2)}) in ${safe(e.pose.frameId)}` : '';
      lines.push(`  ${i + 1}. ${time(e.start)} – ${time(e.end).slice(11)}${place}  [${safe(e.memoryId)}]`, `     ${safe(e.text)}`);
    });
  } else if (answer.answeredBy === '') {
    lines.push('  (none)');
  }
  if (answer.notes.length > 0) lines.push('', ...answer.notes.map((n) => `note: ${safe(n)}`));
  return lines.join('\n');
}
