/**
 * `taskmem bench <format> --protocol paper|robot --videos DIR --qa FILE --out RUN_DIR`: the streaming benchmark
 * over local videos, answered by the TaskMem reference's protocol or by the robot's retrieval answerer;
 * `taskmem bench compare RUN_DIR…`: the runs side by side.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Assembly } from '../../assembly/Assembly.js';
import { parseDayStarts, planBench, type BenchPlan, type EgoLifeMode } from '../../bench/BenchPlan.js';
import { BenchRunner, type BenchProgress, type BenchRunnerOptions } from '../../bench/BenchRunner.js';
import { loadQuestions, type BenchQuestion, type DatasetFormat } from '../../bench/datasets.js';
import { PAPER_UPDATES } from '../../bench/exampleSchedule.js';
import { PaperAnswerer } from '../../bench/PaperAnswerer.js';
import { PaperPrompts, type PaperPromptName } from '../../bench/paperPrompts.js';
import { RequestMeter } from '../../bench/RequestMeter.js';
import {
  appendRunInfo,
  markdownTable,
  readRun,
  RESULTS_FILE,
  runDetails,
  summarize,
  svgChart,
  type Protocol,
  type RunInfo,
} from '../../bench/results.js';
import { FreeFormJudge, gradeAnswer, gradePaperAnswer } from '../../bench/scoring.js';
import type { Config } from '../../config/schema.js';
import { ModelClient } from '../../endpoint/ModelClient.js';
import type { FocusedMemorizer } from '../../focus/FocusedMemorizer.js';
import { parseAdapters } from '../../focus/TaskFocus.js';
import { consoleLogger } from '../../log.js';
import { MEMORIZE_TEMPLATE } from '../../memorize/prompts.js';
import { loadMemorizeTemplates, templateId } from '../../memorize/templatePrompt.js';
import { windowFramesPerSegment } from '../../pipeline/WindowFrames.js';
import { redactCredentials } from '../../text/redactCredentials.js';
import { commandArgs, consoleOutput } from '../commandArgs.js';
import { sqliteFiles } from '../OutputPaths.js';
import { outputFailureIn } from '../outputFailure.js';
import { writeWhole } from '../../writeWhole.js';
import { EXIT, exitCodeOf, RunFailedError, runCommand, UsageError } from '../exitCodes.js';

export const summary = "run the streaming QA benchmark over local videos (the paper's protocol or the robot's), or compare runs";

const FORMATS: DatasetFormat[] = ['videomme', 'egolife', 'egotempo', 'jsonl'];

/** The run's own store, in RUN_DIR. */
const BENCH_STORE = 'memory.sqlite';

const USAGE = `usage: taskmem bench <videomme|egolife|egotempo|jsonl> --protocol <paper|robot> --videos DIR --qa FILE --out RUN_DIR [options] [--<parameter> <value>]…
       taskmem bench compare RUN_DIR [RUN_DIR…]

Streams the videos of the question file (DIR/<videoID>.mp4|mkv|webm|mov|avi) through the memory pipeline, each
at its own time base, and answers each question when it arrives, from the memories written until then only.

  --protocol paper         the TaskMem reference's answering protocol: the whole memory of the video in time
                           blocks, its answer instructions, EgoLife votes over 3 samples, unreadable replies wrong;
                           with focus.depth ≥ 1, one memory per video and question type with examples by the
                           paper's schedule. Needs audio.transcriber_url, or --no-speech.
  --protocol robot         what the robot runs: retrieval over the store and the robot's answer prompt (not the
                           paper's numbers); task focus as on the robot.

Results go to RUN_DIR/results.jsonl (a finished unit is never redone: rerun the same command to resume),
RUN_DIR/results.md (the paper's Accuracy / Coverage / Precision table and how the run was made) and
RUN_DIR/chart.svg.

  --name <name>              the run's row name (default: the folder name)
  --prompts <dir>            prompt files replacing the built-in ones: answer-videomme.txt, answer-egolife.txt,
                             answer-egolife-stream.txt, answer-egotempo.txt, answer-open.txt, judge.txt,
                             memorize.txt, memorize-focus.txt (docs/benchmark.md)
  --no-speech                run the paper's protocol without a transcriber (results.md says so)
  --egolife <clips|stream>   EgoLife: answer from the evidence clips of the reference's results file (the paper's,
                             default for that file) or along the day recordings at the questions' real times
                             (default for EgoLifeQA files)
  --day-starts <v=DAYn-HHMMSSff,…>  real starts of day recordings not named DAYn_<participant>_HHMMSSff
  --samples <n>              replies voted per question (paper; default 3 for EgoLife, 1 otherwise)
  --answer-max-tokens <n>    most tokens of one answer, thinking included (paper; default 16384)
  --judge-url <url>          free-form judge endpoint (default answerer.url)
  --judge-model <name>       free-form judge model (default answerer.model)
  --judge-max-tokens <n>     most tokens of one judge reply, thinking included (default 16384)
  --judge-timeout-s <s>      timeout of one judge request (default 600)
  --focus-updates <a,b,…>    questions of a type after which its examples are updated and its focus vector
                             retrained (default 10,30,50)
  --concurrency <n>          units (videos, clip sets) run at once (default 1)
  --fps <f>                  frames decoded per second of video (default: 2 per keyframe slot)

The memorizer is memorizer.*, segment.* and focus.*; the answerer answerer.*; both as in taskmem ask / ingest.
The store is RUN_DIR/memory.sqlite (store.backend and store.path do not apply).
exit codes: 0 done; 2 bad arguments; 4 a failure while running (a video that cannot be read, the store);
            130 interrupted (rerun to resume)`;

interface BenchArgs {
  format: DatasetFormat;
  protocol: Protocol;
  videos: string;
  qa: string;
  out: string;
  name: string;
  prompts: string | null;
  noSpeech: boolean;
  egolife: EgoLifeMode | null;
  dayStarts: string;
  samples: number | null;
  answerMaxTokens: number;
  concurrency: number;
  fps: number | null;
  focusUpdates: number[];
  judgeUrl: string | null;
  judgeModel: string | null;
  judgeMaxTokens: number;
  judgeTimeoutS: number;
}

export function run(args: string[]): Promise<number> {
  if (args[0] === 'compare') return compare(args.slice(1));
  return runCommand('bench', consoleOutput, async () => {
    const fromArgs = commandArgs(args, consoleOutput, { usage: USAGE, parse: parseArgs });
    if ('exit' in fromArgs) return fromArgs.exit;
    const { parsed, outputs } = fromArgs;
    const logger = consoleLogger;
    // The run folder's files never replace the question file, the params file or the user's store.
    outputs
      .protect({ path: parsed.qa, what: 'the question file (--qa)' })
      .folder(parsed.out, '--out', { writes: [RESULTS_FILE, 'results.md', 'chart.svg', ...sqliteFiles(BENCH_STORE)] });
    const { config, questions, prompts, plan, egolife, memorizePrompt } = await prepare(parsed, fromArgs.config);
    await mkdir(parsed.out, { recursive: true });
    const samples = parsed.samples ?? (parsed.protocol === 'paper' && parsed.format === 'egolife' ? 3 : 1);
    const freeForm = questions.some((q) => q.options.length === 0);
    const info = runInfo(parsed, config, prompts, questions, egolife, samples, freeForm, memorizePrompt);
    const previous = (await readRun(parsed.out)).runInfo.at(-1);
    const mismatch = previous ? differences(previous, info) : [];
    if (mismatch.length > 0) {
      throw new UsageError(
        `taskmem bench: ${parsed.out} holds a run made with another ${mismatch.join(', ')}; resume it with the same settings or use another --out`,
      );
    }
    await appendRunInfo(parsed.out, info).catch((error: unknown) => {
      throw outputFailureIn(parsed.out, error) ?? error;
    });

    const assembly = await Assembly.open(config, { logger });
    const { store } = assembly;
    const stop = new AbortController();
    const onSignal = () => {
      consoleOutput.err('\ntaskmem bench: stopping; finished units are kept, rerun to resume');
      stop.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const apiKey = process.env[config.answerer.api_key_env] || null;
      const maxReplyMb = config.model_reply_max_mb;
      const judgeUrl = parsed.judgeUrl ?? config.answerer.url;
      const judge = judgeUrl
        ? new FreeFormJudge({
            client: new ModelClient({ url: judgeUrl, apiKey, timeoutMs: parsed.judgeTimeoutS * 1000, maxRetries: 2, maxReplyMb }),
            model: parsed.judgeModel ?? config.answerer.model,
            prompt: prompts.get('judge'),
            maxTokens: parsed.judgeMaxTokens,
            timeoutMs: parsed.judgeTimeoutS * 1000,
          })
        : null;
      const taskFocus = parsed.protocol === 'robot' && config.focus.depth > 0 ? await assembly.taskFocus('bench') : null;
      const adapters = parseAdapters(config.focus.adapters);
      let answer: BenchRunnerOptions['answer'];
      if (parsed.protocol === 'paper') {
        const paper = new PaperAnswerer({
          store,
          streams: plan.streams,
          client: new ModelClient({
            url: config.answerer.url,
            apiKey,
            timeoutMs: config.answerer.timeout_s * 1000,
            maxRetries: 2,
            maxReplyMb,
          }),
          model: config.answerer.model,
          prompts,
          dataset: parsed.format,
          samples,
          temperature: config.answerer.temperature,
          maxTokens: parsed.answerMaxTokens,
          timeoutMs: config.answerer.timeout_s * 1000,
        });
        answer = async (planned) => {
          const reply = await paper.answer(planned, stop.signal);
          return { verdict: await gradePaperAnswer(planned.question, reply, judge), votes: reply.votes, evidence: [] };
        };
      } else {
        const robot = assembly.answerer();
        answer = async ({ question, sources }, { askedAt }) => {
          const reply = await robot.ask(question.question, {
            askedAt,
            id: question.id,
            robotId: sources[0]!.robotId,
            ...(question.options.length > 0 ? { choices: question.options } : {}),
            signal: stop.signal,
          });
          return { verdict: await gradeAnswer(question, reply, judge), votes: null, evidence: reply.evidence.map((e) => e.memoryId) };
        };
      }
      logger.info(
        `taskmem bench: ${questions.length} questions, ${plan.streams.size} streams, ${plan.units.length} units, protocol ${parsed.protocol}`,
      );
      // Any stream's focus wrapper can train: vectors and preference pairs live in the store.
      let trainer: FocusedMemorizer | null = null;
      let described = false;
      const askedPerType = new Map<string, number>();
      const fps = parsed.fps ?? (2 * config.segment.keyframes) / config.segment.duration_s;
      const runner = new BenchRunner({
        name: parsed.name,
        dataset: parsed.format,
        protocol: parsed.protocol,
        plan,
        runDir: parsed.out,
        store,
        openStream: async (stream, clock) => {
          // Each stream has its own memorizer, whose clock is that stream's: memories get creation times of their
          // own timeline even when streams are played at once.
          const meter = new RequestMeter();
          const memorizer = await assembly.memorizer(clock.now, (messages) => meter.observe(messages));
          if (!described) logger.info(`taskmem bench: memorizer: ${memorizer.description}`);
          described = true;
          trainer ??= memorizer.focused;
          const fixed = stream.focus
            ? {
                group: stream.focus.group,
                examples: stream.focus.examples,
                depth: config.focus.depth,
                ...modelOf(adapters, stream.focus.group),
              }
            : null;
          const { pipeline } = await assembly.pipeline({
            memorizer,
            robotId: stream.robotId,
            now: clock.now,
            focus: taskFocus ?? (fixed ? { context: () => fixed } : null),
            overflow: 'wait',
          });
          return { pipeline, requests: () => meter.totals };
        },
        answer,
        onAsked: async ({ question }, askedAt) => {
          if (taskFocus) await taskFocus.note({ text: question.question, stamp: askedAt, group: question.type });
          const asked = (askedPerType.get(question.type) ?? 0) + 1;
          askedPerType.set(question.type, asked);
          if (config.focus.depth >= 3 && parsed.focusUpdates.includes(asked)) await trainer?.train(question.type);
        },
        concurrency: parsed.concurrency,
        fps,
        maxSide: Math.max(config.camera.long_side * 2, 640),
        onProgress: progressPrinter(),
        logger,
        signal: stop.signal,
      });
      try {
        await runner.run();
      } catch (error) {
        if (exitCodeOf(error) !== null) throw error;
        throw outputFailureIn(parsed.out, error) ?? new RunFailedError((error as Error).message, { cause: error });
      }
      process.stderr.write('\n');
      if (stop.signal.aborted) return EXIT.interrupted;
      const results = await readRun(parsed.out);
      const runs = [{ name: parsed.name, protocol: parsed.protocol, summary: summarize(results.results) }];
      const table = markdownTable(runs);
      try {
        await writeWhole(join(parsed.out, 'results.md'), (temporary) => writeFile(temporary, `${table}\n${runDetails(info, results)}`));
        await writeWhole(join(parsed.out, 'chart.svg'), (temporary) => writeFile(temporary, svgChart(runs)));
      } catch (error) {
        throw outputFailureIn(parsed.out, error) ?? error;
      }
      consoleOutput.out(table);
      return EXIT.ok;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await assembly.close();
    }
  });
}

/**
 * The run's configuration (its own store in RUN_DIR, so that every run starts empty and resumes where it stopped;
 * prompt files from --prompts), its questions, prompts and plan; a problem with any of them is a usage error.
 */
async function prepare(parsed: BenchArgs, userConfig: Config) {
  try {
    const questions = await loadQuestions(parsed.qa, parsed.format);
    const prompts = await PaperPrompts.load(parsed.prompts);
    const config: Config = {
      ...userConfig,
      store: { ...userConfig.store, backend: 'sqlite', path: join(parsed.out, BENCH_STORE) },
      memorizer: {
        ...userConfig.memorizer,
        prompt_file: userConfig.memorizer.prompt_file || (prompts.memorizeFile ?? ''),
        focus_prompt_file: userConfig.memorizer.focus_prompt_file || (prompts.memorizeFocusFile ?? ''),
      },
    };
    windowFramesPerSegment(config.segment);
    const templates = await loadMemorizeTemplates(config.memorizer.prompt_file, config.memorizer.focus_prompt_file);
    const memorizePrompt = templates
      ? `${templateId(templates)} (${[config.memorizer.prompt_file, config.memorizer.focus_prompt_file].filter(Boolean).join(' + ')})`
      : `${MEMORIZE_TEMPLATE} (built-in)`;
    const egolife: EgoLifeMode | null =
      parsed.format === 'egolife' ? (parsed.egolife ?? (questions.every((q) => q.clips) ? 'clips' : 'stream')) : null;
    problemsOf(parsed, config, questions, egolife);
    const plan: BenchPlan = await planBench({
      questions,
      videosDir: parsed.videos,
      egolife,
      schedule:
        parsed.protocol === 'paper' && config.focus.depth >= 1
          ? { updates: parsed.focusUpdates, maxExamples: config.focus.max_examples, seed: basename(parsed.qa) }
          : null,
      dayStarts: parseDayStarts(parsed.dayStarts),
    });
    return { config, questions, prompts, plan, egolife, memorizePrompt };
  } catch (error) {
    if (exitCodeOf(error) !== null) throw error;
    throw new UsageError(`taskmem bench: ${(error as Error).message}`, { cause: error });
  }
}

/** What makes the run impossible to start, as a usage error. */
function problemsOf(parsed: BenchArgs, config: Config, questions: BenchQuestion[], egolife: EgoLifeMode | null): void {
  if (parsed.protocol === 'paper') {
    if (!config.answerer.url || !config.answerer.model)
      throw new Error("the paper's protocol needs an answering model: set answerer.url and answerer.model");
    if (!config.audio.transcriber_url && !parsed.noSpeech)
      throw new Error(
        "the paper's memorizer hears speech as speaker-attributed subtitles: set audio.transcriber_url (a Whisper endpoint), " +
          'or pass --no-speech to run without speech (results.md then says so)',
      );
  } else if (egolife === 'clips') {
    throw new Error(
      "EgoLife evidence clips are the paper's protocol (--protocol paper); the robot's answerer reads one stream (--egolife stream)",
    );
  }
  if (egolife === 'clips' && questions.some((q) => !q.clips))
    throw new Error("--egolife clips needs the reference's results file (results[] with current_groups and target_groups)");
  const judged = parsed.judgeUrl ?? config.answerer.url;
  if (!judged && questions.some((q) => q.options.length === 0))
    throw new Error('free-form questions need a judge: set answerer.url (and answerer.model) or --judge-url');
}

function modelOf(adapters: Map<string, string>, group: string): { model?: string } {
  const model = adapters.get(group);
  return model ? { model } : {};
}

/** The description of this run recorded in results.jsonl and results.md. */
function runInfo(
  parsed: BenchArgs,
  config: Config,
  prompts: PaperPrompts,
  questions: BenchQuestion[],
  egolife: EgoLifeMode | null,
  samples: number,
  freeForm: boolean,
  memorize: string,
): RunInfo {
  const names = new Set<PaperPromptName>();
  if (parsed.protocol === 'paper') {
    if (egolife === 'clips') names.add('answer-egolife');
    else if (egolife === 'stream') names.add('answer-egolife-stream');
    else {
      if (questions.some((q) => q.options.length > 0)) names.add('answer-videomme');
      if (freeForm) names.add(parsed.format === 'egotempo' ? 'answer-egotempo' : 'answer-open');
    }
  }
  if (freeForm) names.add('judge');
  const perSegment = windowFramesPerSegment(config.segment);
  const { segment } = config;
  const window =
    perSegment > 0
      ? `${perSegment} frames of each earlier segment of the ${segment.window_s} s window (${segment.window_fps} fps)`
      : `no frames of earlier segments (segment.window_fps 0)${parsed.protocol === 'paper' ? "; the reference's policy sees the whole 50 s window at about 2 fps (--segment.window_fps 2 --segment.keyframes 20)" : ''}`;
  const adapters = config.focus.adapters.length > 0 ? `, adapters ${config.focus.adapters.join(' ')}` : '';
  const focus =
    config.focus.depth === 0
      ? 'off: one unfocused memory per stream (focus.depth 0)'
      : parsed.protocol === 'paper'
        ? `one memory per stream and question type, examples by the paper's schedule: none for the first ${parsed.focusUpdates[0]} questions of a type, ` +
          `then up to ${config.focus.max_examples} sampled from its first ${parsed.focusUpdates.join(' / ')} questions; focus.depth ${config.focus.depth}${adapters}`
        : `the robot's live task focus: the active group's most recent tasks; focus.depth ${config.focus.depth}${adapters}`;
  return {
    name: parsed.name,
    protocol: parsed.protocol,
    dataset: parsed.format,
    egolife,
    prompts: { ...prompts.describe([...names]), memorize },
    // Recorded in results.jsonl and results.md, which are shared: the URLs without their credentials.
    models: {
      memorizer: config.memorizer.url
        ? `${config.memorizer.model} at ${redactCredentials(config.memorizer.url)}`
        : 'the embedded perception memorizer (no memorizer.url)',
      answerer: config.answerer.url ? `${config.answerer.model} at ${redactCredentials(config.answerer.url)}` : 'none (evidence only)',
      ...(freeForm
        ? { judge: `${parsed.judgeModel ?? config.answerer.model} at ${redactCredentials(parsed.judgeUrl ?? config.answerer.url)}` }
        : {}),
    },
    speech: config.audio.transcriber_url
      ? `transcribed by ${config.audio.transcriber_model} at ${redactCredentials(config.audio.transcriber_url)}`
      : parsed.noSpeech
        ? "not transcribed (--no-speech): the memorizer heard no words; the reference's saw speaker-attributed subtitles"
        : 'not transcribed (audio.transcriber_url empty)',
    memorizerInput: `${segment.keyframes} keyframes per ${segment.duration_s} s segment; ${window}; up to ${segment.window_memories} window memories`,
    samples,
    focus,
    startedAt: new Date().toISOString(),
  };
}

/** The settings of two starts of one run that differ and would make its results incomparable. */
function differences(previous: RunInfo, next: RunInfo): string[] {
  const keys = ['protocol', 'dataset', 'egolife', 'samples', 'focus', 'memorizerInput', 'speech'] as const;
  const changed: string[] = keys.filter((k) => JSON.stringify(previous[k]) !== JSON.stringify(next[k]));
  if (JSON.stringify(previous.prompts) !== JSON.stringify(next.prompts)) changed.push('prompts');
  // A model moved to another endpoint is the same model.
  const names = (models: Record<string, string>) => JSON.stringify(Object.entries(models).map(([role, m]) => [role, m.split(' at ')[0]]));
  if (names(previous.models) !== names(next.models)) changed.push('models');
  return changed;
}

async function compare(dirs: string[]): Promise<number> {
  if (dirs.length === 0 || dirs.includes('--help')) {
    consoleOutput.err(USAGE);
    return dirs.length === 0 ? 2 : 0;
  }
  const runs = [];
  for (const dir of dirs) {
    const { results, runInfo } = await readRun(dir);
    if (results.length === 0) {
      consoleOutput.err(`taskmem bench compare: ${dir} has no finished results (no ${join(dir, 'results.jsonl')} or no finished unit)`);
      return 2;
    }
    runs.push({
      name: results[0]!.run || basename(resolve(dir)),
      protocol: runInfo.at(-1)?.protocol ?? results[0]!.protocol,
      summary: summarize(results),
    });
  }
  consoleOutput.out(markdownTable(runs));
  return 0;
}

const VALUE_FLAGS = [
  'protocol',
  'videos',
  'qa',
  'out',
  'name',
  'prompts',
  'egolife',
  'day-starts',
  'samples',
  'answer-max-tokens',
  'concurrency',
  'fps',
  'focus-updates',
  'judge-url',
  'judge-model',
  'judge-max-tokens',
  'judge-timeout-s',
];
const SWITCHES = ['no-speech'];

function parseArgs(rest: string[]): BenchArgs {
  const [format, ...flags] = rest;
  if (!format || !FORMATS.includes(format as DatasetFormat))
    throw new UsageError(`taskmem bench: which question format? one of ${FORMATS.join(', ')}, or compare\n\n${USAGE}`);
  const values = new Map<string, string>();
  for (let i = 0; i < flags.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(flags[i]!);
    if (!match) throw new UsageError(`taskmem bench: unexpected argument ${flags[i]}`);
    const key = match[1]!;
    if (SWITCHES.includes(key)) {
      if (match[2] !== undefined) throw new UsageError(`taskmem bench: --${key} takes no value`);
      values.set(key, 'true');
      continue;
    }
    if (!VALUE_FLAGS.includes(key)) throw new UsageError(`taskmem bench: unknown option --${key}`);
    const value = match[2] ?? flags[++i];
    if (value === undefined) throw new UsageError(`taskmem bench: --${key} needs a value`);
    values.set(key, value);
  }
  const required = (key: string) => values.get(key) ?? fail(`taskmem bench: --${key} is required`);
  const positiveNumber = (key: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) fail(`taskmem bench: --${key} must be a positive number, got ${JSON.stringify(text)}`);
    return n;
  };
  const wholeNumber = (key: string, fallback: string) => {
    const n = positiveNumber(key, values.get(key) ?? fallback);
    if (!Number.isInteger(n)) fail(`taskmem bench: --${key} must be a whole number`);
    return n;
  };
  const protocol = required('protocol');
  if (protocol !== 'paper' && protocol !== 'robot')
    fail(
      `taskmem bench: --protocol is paper (the TaskMem reference's answering) or robot (the robot's retrieval), got ${JSON.stringify(protocol)}`,
    );
  const egolife = values.get('egolife') ?? null;
  if (egolife !== null && (format !== 'egolife' || (egolife !== 'clips' && egolife !== 'stream')))
    fail('taskmem bench: --egolife is clips or stream, for the egolife format only');
  const out = required('out');
  const focusUpdates = (values.get('focus-updates') ?? PAPER_UPDATES.join(','))
    .split(',')
    .map((t) => positiveNumber('focus-updates', t.trim()));
  if (focusUpdates.some((n, i) => !Number.isInteger(n) || (i > 0 && n <= focusUpdates[i - 1]!)))
    fail('taskmem bench: --focus-updates must be whole numbers in ascending order, e.g. 10,30,50');
  return {
    format: format as DatasetFormat,
    protocol,
    videos: required('videos'),
    qa: required('qa'),
    out,
    name: values.get('name') ?? basename(resolve(out)),
    prompts: values.get('prompts') ?? null,
    noSpeech: values.has('no-speech'),
    egolife: egolife,
    dayStarts: values.get('day-starts') ?? '',
    samples: values.has('samples') ? wholeNumber('samples', '1') : null,
    answerMaxTokens: wholeNumber('answer-max-tokens', '16384'),
    concurrency: wholeNumber('concurrency', '1'),
    fps: values.has('fps') ? positiveNumber('fps', values.get('fps')!) : null,
    focusUpdates,
    judgeUrl: values.get('judge-url') ?? null,
    judgeModel: values.get('judge-model') ?? null,
    judgeMaxTokens: wholeNumber('judge-max-tokens', '16384'),
    judgeTimeoutS: positiveNumber('judge-timeout-s', values.get('judge-timeout-s') ?? '600'),
  };
}

function fail(message: string): never {
  throw new UsageError(message);
}

function progressPrinter(): (p: BenchProgress) => void {
  return (p) => {
    const rate = p.elapsedS > 0 ? p.videoSeconds / p.elapsedS : 0;
    const line = `units ${p.unitsDone}/${p.unitsTotal}, questions ${p.questionsDone}/${p.questionsTotal}, ${rate.toFixed(1)}× real time, ${p.elapsedS.toFixed(0)} s`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}\u001b[K`);
    else if (p.questionsDone === p.questionsTotal || p.unitsDone === p.unitsTotal) process.stderr.write(`${line}\n`);
  };
}
