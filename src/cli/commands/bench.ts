/**
 * `taskmem bench <format> --videos DIR --qa FILE --out RUN_DIR`: the paper's streaming protocol over local
 * videos; `taskmem bench compare RUN_DIR…`: the runs side by side.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { openAnswerer } from '../../answer/openAnswerer.js';
import { BenchRunner, type BenchProgress } from '../../bench/BenchRunner.js';
import { loadQuestions, type DatasetFormat } from '../../bench/datasets.js';
import { markdownTable, readRun, summarize, svgChart } from '../../bench/results.js';
import { FreeFormJudge } from '../../bench/scoring.js';
import { openEmbeddingSource } from '../../embed/openEmbeddingSource.js';
import { ModelClient } from '../../endpoint/ModelClient.js';
import type { FocusedMemorizer } from '../../focus/FocusedMemorizer.js';
import { openTaskFocus } from '../../focus/openTaskFocus.js';
import { consoleLogger } from '../../log.js';
import { openMemorizer } from '../../memorize/openMemorizer.js';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';
import { MemoryPipeline } from '../../pipeline/MemoryPipeline.js';
import { commandArgs, consoleOutput, UsageError } from '../commandArgs.js';

export const summary = "run the paper's streaming QA benchmark over local videos, or compare runs";

const FORMATS: DatasetFormat[] = ['videomme', 'egolife', 'egotempo', 'jsonl'];

const USAGE = `usage: taskmem bench <videomme|egolife|egotempo|jsonl> --videos DIR --qa FILE --out RUN_DIR [options] [--<parameter> <value>]…
       taskmem bench compare RUN_DIR [RUN_DIR…]

Streams every video of the question file (DIR/<videoID>.mp4|mkv|webm|mov|avi) through the memory pipeline at
its own time base and answers each question when it arrives, from the memories written until then only.
Results go to RUN_DIR/results.jsonl (a finished video is never redone: rerun the same command to resume),
RUN_DIR/results.md (the paper's Accuracy / Coverage / Precision table) and RUN_DIR/chart.svg.

  --name <name>            the run's row name (default: the folder name)
  --concurrency <n>        videos streamed at once (default 1)
  --fps <f>                frames decoded per second of video (default: 2 per keyframe slot, segment.keyframes / segment.duration_s × 2)
  --focus-updates <a,b,…>  questions of a type after which its focus vector is retrained (default 10,30,50; focus.depth 3)
  --judge-url <url>        free-form judge endpoint (default answerer.url)
  --judge-model <name>     free-form judge model (default answerer.model)

The memorizer is memorizer.* and focus.*; the answerer answerer.*; both as in taskmem ask / ingest.
exit codes: 0 done; 2 bad arguments; 3 interrupted (rerun to resume); 4 a failure while running`;

interface BenchArgs {
  format: DatasetFormat;
  videos: string;
  qa: string;
  out: string;
  name: string;
  concurrency: number;
  fps: number | null;
  focusUpdates: number[];
  judgeUrl: string | null;
  judgeModel: string | null;
}

export async function run(args: string[]): Promise<number> {
  if (args[0] === 'compare') return compare(args.slice(1));
  const fromArgs = commandArgs(args, consoleOutput, { usage: USAGE, parse: parseArgs });
  if ('exit' in fromArgs) return fromArgs.exit;
  const { config, parsed } = fromArgs;
  const logger = consoleLogger;
  let questions;
  try {
    questions = await loadQuestions(parsed.qa, parsed.format);
  } catch (error) {
    consoleOutput.err((error as Error).message);
    return 2;
  }
  await mkdir(parsed.out, { recursive: true });
  const store = new SqliteMemoryStore({ path: join(parsed.out, 'memory.sqlite'), logger });
  const stop = new AbortController();
  const onSignal = () => {
    consoleOutput.err('\ntaskmem bench: stopping; finished videos are kept, rerun to resume');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const embedder = await openEmbeddingSource(config);
    const answerer = openAnswerer(config, store, embedder, logger);
    const judgeUrl = parsed.judgeUrl ?? config.answerer.url;
    const judge = judgeUrl
      ? new FreeFormJudge({
          client: new ModelClient({
            url: judgeUrl,
            apiKey: process.env[config.answerer.api_key_env] || null,
            timeoutMs: config.answerer.timeout_s * 1000,
            maxRetries: 2,
            maxReplyMb: config.model_reply_max_mb,
          }),
          model: parsed.judgeModel ?? config.answerer.model,
        })
      : null;
    if (!judge && questions.some((q) => q.options.length === 0)) {
      consoleOutput.err('taskmem bench: free-form questions need a judge: set answerer.url (and answerer.model) or --judge-url');
      return 2;
    }
    const taskFocus = config.focus.depth > 0 ? await openTaskFocus({ ...config, robot_id: 'bench' }, { store, embedder }) : null;
    logger.info(`taskmem bench: ${questions.length} questions over ${new Set(questions.map((q) => q.videoId)).size} videos`);
    // Any video's focus wrapper can train: vectors and preference pairs live in the store.
    let trainer: FocusedMemorizer | null = null;
    let described = false;
    const fps = parsed.fps ?? (2 * config.segment.keyframes) / config.segment.duration_s;
    const runner = new BenchRunner({
      name: parsed.name,
      dataset: parsed.format,
      questions,
      videosDir: parsed.videos,
      runDir: parsed.out,
      makePipeline: async (videoId, clock) => {
        // Each video has its own memorizer, whose clock is that video's: memories get creation times of their own
        // timeline even when videos are streamed at once.
        const opened = await openMemorizer(config, { store, now: clock.now, logger });
        if (!described) logger.info(`taskmem bench: memorizer: ${opened.description}`);
        described = true;
        trainer ??= opened.focused;
        return MemoryPipeline.fromConfig(
          { ...config, robot_id: videoId },
          {
            memorizer: opened.memorizer,
            fallback: opened.fallback,
            store,
            logger,
            overflow: 'wait',
            ...(taskFocus ? { focus: () => taskFocus.context() } : {}),
          },
        );
      },
      answerer,
      judge,
      focus: taskFocus
        ? { taskFocus, train: (group) => trainer?.train(group) ?? Promise.resolve(null), updatesAt: parsed.focusUpdates }
        : null,
      concurrency: parsed.concurrency,
      fps,
      maxSide: Math.max(config.camera.long_side * 2, 640),
      onProgress: progressPrinter(),
      logger,
      signal: stop.signal,
    });
    await runner.run();
    process.stderr.write('\n');
    if (stop.signal.aborted) return 3;
    const { results } = await readRun(parsed.out);
    const runs = [{ name: parsed.name, summary: summarize(results) }];
    const table = markdownTable(runs);
    await writeFile(join(parsed.out, 'results.md'), table);
    await writeFile(join(parsed.out, 'chart.svg'), svgChart(runs));
    consoleOutput.out(table);
    return 0;
  } catch (error) {
    consoleOutput.err(`taskmem bench: ${(error as Error).message}`);
    return 4;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}

async function compare(dirs: string[]): Promise<number> {
  if (dirs.length === 0 || dirs.includes('--help')) {
    consoleOutput.err(USAGE);
    return dirs.length === 0 ? 2 : 0;
  }
  const runs = [];
  for (const dir of dirs) {
    const { results } = await readRun(dir);
    if (results.length === 0) {
      consoleOutput.err(`taskmem bench compare: ${dir} has no finished results (no ${join(dir, 'results.jsonl')} or no finished video)`);
      return 2;
    }
    runs.push({ name: results[0]!.run || basename(resolve(dir)), summary: summarize(results) });
  }
  consoleOutput.out(markdownTable(runs));
  return 0;
}

function parseArgs(rest: string[]): BenchArgs {
  const [format, ...flags] = rest;
  if (!format || !FORMATS.includes(format as DatasetFormat))
    throw new UsageError(`taskmem bench: which question format? one of ${FORMATS.join(', ')}, or compare\n\n${USAGE}`);
  const values = new Map<string, string>();
  for (let i = 0; i < flags.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(flags[i]!);
    if (!match) throw new UsageError(`taskmem bench: unexpected argument ${flags[i]}`);
    const value = match[2] ?? flags[++i];
    if (value === undefined) throw new UsageError(`taskmem bench: --${match[1]} needs a value`);
    values.set(match[1]!, value);
  }
  const known = ['videos', 'qa', 'out', 'name', 'concurrency', 'fps', 'focus-updates', 'judge-url', 'judge-model'];
  for (const key of values.keys()) if (!known.includes(key)) throw new UsageError(`taskmem bench: unknown option --${key}`);
  const required = (key: string) => values.get(key) ?? fail(`taskmem bench: --${key} is required`);
  const positiveNumber = (key: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) fail(`taskmem bench: --${key} must be a positive number, got ${JSON.stringify(text)}`);
    return n;
  };
  const out = required('out');
  const concurrency = positiveNumber('concurrency', values.get('concurrency') ?? '1');
  if (!Number.isInteger(concurrency)) fail('taskmem bench: --concurrency must be a whole number');
  return {
    format: format as DatasetFormat,
    videos: required('videos'),
    qa: required('qa'),
    out,
    name: values.get('name') ?? basename(resolve(out)),
    concurrency,
    fps: values.has('fps') ? positiveNumber('fps', values.get('fps')!) : null,
    focusUpdates: (values.get('focus-updates') ?? '10,30,50').split(',').map((t) => positiveNumber('focus-updates', t.trim())),
    judgeUrl: values.get('judge-url') ?? null,
    judgeModel: values.get('judge-model') ?? null,
  };
}

function fail(message: string): never {
  throw new UsageError(message);
}

function progressPrinter(): (p: BenchProgress) => void {
  return (p) => {
    const rate = p.elapsedS > 0 ? p.videoSeconds / p.elapsedS : 0;
    const line = `videos ${p.videosDone}/${p.videosTotal}, questions ${p.questionsDone}/${p.questionsTotal}, ${rate.toFixed(1)}× real time, ${p.elapsedS.toFixed(0)} s`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}\u001b[K`);
    else if (p.questionsDone === p.questionsTotal || p.videosDone === p.videosTotal) process.stderr.write(`${line}\n`);
  };
}
