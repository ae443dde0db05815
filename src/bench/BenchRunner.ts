import type { Logger } from '../log.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import type { MemoryPipeline } from '../pipeline/MemoryPipeline.js';
import { NANOS_PER_SECOND, nanosToSeconds, type RosNanos } from '../time.js';
import type { BenchPlan, BenchStream, BenchUnit, PlannedQuestion } from './BenchPlan.js';
import type { DatasetFormat } from './datasets.js';
import { memoriesOf } from './memoryBlocks.js';
import type { RequestStats } from './RequestMeter.js';
import { appendUnit, readRun, type Protocol, type QuestionResult, type StreamMemorized } from './results.js';
import type { Verdict } from './scoring.js';
import { probeVideo, streamVideo } from './VideoSource.js';

export interface BenchProgress {
  unitsDone: number;
  unitsTotal: number;
  questionsDone: number;
  questionsTotal: number;
  /** Seconds of video memorized so far in this process. */
  videoSeconds: number;
  elapsedS: number;
}

/** A stream's memory pipeline, composed by the caller, and what measures the memorizer's requests. */
export interface StreamPipeline {
  pipeline: MemoryPipeline;
  requests: () => RequestStats;
}

/** When a question is asked, and up to when memories may be seen (null: all of them). */
export interface AskMoment {
  askedAt: RosNanos;
  asOf: RosNanos | null;
}

/** One graded answer, as the protocol made it. */
export interface GradedQuestion {
  verdict: Verdict;
  votes: Record<string, number> | null;
  /** The memories the answer rests on, when the protocol says (the robot's). */
  evidence: string[];
}

export interface BenchRunnerOptions {
  /** Run name: a row of the results table. */
  name: string;
  dataset: DatasetFormat;
  protocol: Protocol;
  plan: BenchPlan;
  /** Folder of this run: results.jsonl lives here. */
  runDir: string;
  /** Where the pipelines write; read for what each question may see and what each stream holds. */
  store: MemoryStore;
  /** The memory pipeline of one stream; its robot id must be the stream's and its clock `clock.now`. */
  openStream: (stream: BenchStream, clock: { now: () => RosNanos }) => Promise<StreamPipeline>;
  /** Answers and grades one question: the protocol. */
  answer: (planned: PlannedQuestion, moment: AskMoment, signal?: AbortSignal) => Promise<GradedQuestion>;
  /** Called as each question is asked, before it is answered (task focus logs it and trains on schedule). */
  onAsked?: (planned: PlannedQuestion, askedAt: RosNanos) => Promise<void>;
  /** Units run at once. */
  concurrency: number;
  /** Frames per second decoded from each video, and their long side. */
  fps: number;
  maxSide: number;
  onProgress?: (progress: BenchProgress) => void;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * The streaming protocol over local videos, following a plan (BenchPlan). Each stream is played at its own time
 * base through the same pipeline the robot runs. A question with an arrival time is asked when the stream
 * reaches it, after the pipeline has settled, and sees only memories created by then; the others are asked when
 * their streams are memorized. A stream several units read is memorized once. Finished units are appended to
 * results.jsonl with the streams they memorized and a done-marker, so an interrupted run resumes at the first
 * unfinished unit and never memorizes a finished stream again.
 */
export class BenchRunner {
  readonly #options: BenchRunnerOptions;
  /** Streams memorized to their end (or being memorized), by robot id. */
  readonly #memorized = new Map<string, Promise<StreamMemorized>>();

  constructor(options: BenchRunnerOptions) {
    this.#options = options;
  }

  async run(): Promise<{ units: number; skipped: number }> {
    const { plan, runDir, concurrency, signal } = this.#options;
    const previous = await readRun(runDir);
    for (const [robotId, marker] of previous.memorized) this.#memorized.set(robotId, Promise.resolve(marker));
    const todo = plan.units.filter((u) => !previous.done.has(u.id));
    const questionsTotal = plan.units.reduce((n, u) => n + u.questions.length, 0);
    const progress: BenchProgress = {
      unitsDone: plan.units.length - todo.length,
      unitsTotal: plan.units.length,
      questionsDone: questionsTotal - todo.reduce((n, u) => n + u.questions.length, 0),
      questionsTotal,
      videoSeconds: 0,
      elapsedS: 0,
    };
    const started = performance.now();
    const report = () => this.#options.onProgress?.({ ...progress, elapsedS: (performance.now() - started) / 1000 });
    report();
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !signal?.aborted) {
        await this.#runUnit(todo[next++]!, progress, report);
        if (signal?.aborted) return;
        progress.unitsDone++;
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return { units: todo.length, skipped: plan.units.length - todo.length };
  }

  async #runUnit(unit: BenchUnit, progress: BenchProgress, report: () => void): Promise<void> {
    const { runDir, signal, logger } = this.#options;
    const results: QuestionResult[] = [];
    const memorizedHere: StreamMemorized[] = [];
    const ask = async (planned: PlannedQuestion, moment: AskMoment) => {
      results.push(await this.#ask(unit, planned, moment));
      progress.questionsDone++;
      report();
    };
    const during = unit.questions.filter((q) => q.askedAt !== null);
    const after = unit.questions.filter((q) => q.askedAt === null);
    const ends: RosNanos[] = [];
    if (during.length > 0) {
      // A question that arrives while its stream plays is asked then: the stream is played again even if another
      // unit memorized it (stored segments are not asked of the model again).
      const stream = this.#stream(during[0]!.sources[0]!.robotId);
      const memorizing = this.#play(stream, during, ask, progress, report);
      this.#memorized.set(stream.robotId, memorizing);
      const marker = await memorizing;
      if (signal?.aborted) return;
      memorizedHere.push(marker);
      ends.push(BigInt(marker.endNs));
    }
    for (const robotId of new Set(after.flatMap((q) => q.sources.map((s) => s.robotId)))) {
      const { marker, here } = await this.#memorizeOnce(robotId, progress, report);
      if (signal?.aborted) return;
      if (here) memorizedHere.push(marker);
      ends.push(BigInt(marker.endNs));
    }
    const end = ends.reduce((m, e) => (e > m ? e : m), 0n);
    for (const planned of after) await ask(planned, { askedAt: end, asOf: null });
    if (signal?.aborted) return;
    await appendUnit(runDir, unit.id, results, memorizedHere);
    logger.info(
      `bench: ${unit.id}: ${results.filter((r) => r.correct).length}/${results.length} correct, ${results.filter((r) => r.abstained).length} abstained`,
    );
  }

  /** Memorizes a stream unless it is done or under way; `here` when this call did it. */
  async #memorizeOnce(robotId: string, progress: BenchProgress, report: () => void): Promise<{ marker: StreamMemorized; here: boolean }> {
    const known = this.#memorized.get(robotId);
    if (known) return { marker: await known, here: false };
    const memorizing = this.#play(this.#stream(robotId), [], async () => undefined, progress, report);
    this.#memorized.set(robotId, memorizing);
    return { marker: await memorizing, here: true };
  }

  /** Plays a stream's videos through its pipeline, asking each question of `during` as the stream reaches it. */
  async #play(
    stream: BenchStream,
    during: PlannedQuestion[],
    ask: (planned: PlannedQuestion, moment: AskMoment) => Promise<void>,
    progress: BenchProgress,
    report: () => void,
  ): Promise<StreamMemorized> {
    const { fps, maxSide, signal, store } = this.#options;
    let readTo = stream.parts[0]!.base;
    const { pipeline, requests } = await this.#options.openStream(stream, { now: () => readTo });
    const pending = [...during].sort((a, b) => (a.askedAt! < b.askedAt! ? -1 : a.askedAt! > b.askedAt! ? 1 : 0));
    const askDue = async (until: RosNanos | null) => {
      while (pending[0] && (until === null || pending[0].askedAt! <= until)) {
        await pipeline.settle();
        const planned = pending.shift()!;
        await ask(planned, { askedAt: planned.askedAt!, asOf: planned.askedAt! });
      }
    };
    try {
      for (const part of stream.parts) {
        const info = await probeVideo(part.file);
        let counted = part.base;
        for await (const event of streamVideo(part.file, info, { base: part.base, fps, maxSide, ...(signal ? { signal } : {}) })) {
          await askDue(event.stamp);
          if (event.stamp > readTo) readTo = event.stamp;
          await pipeline.push(event.sensor);
          if (event.stamp - counted >= NANOS_PER_SECOND) {
            progress.videoSeconds += Math.floor(nanosToSeconds(event.stamp - counted));
            counted += ((event.stamp - counted) / NANOS_PER_SECOND) * NANOS_PER_SECOND;
            report();
          }
        }
        if (signal?.aborted) break;
      }
      if (!signal?.aborted) {
        await pipeline.drain();
        await askDue(null);
      }
    } finally {
      await pipeline.close({ abort: signal?.aborted ?? false });
    }
    const memories = await memoriesOf(store, stream.robotId, null);
    const failed = (await store.failures(stream.robotId)).length;
    return {
      memorized: stream.robotId,
      segments: memories.length + failed,
      memories: memories.length,
      fallback: memories.filter((m) => m.source === 'perception').length,
      failed,
      endNs: String(readTo),
      requests: requests(),
    };
  }

  async #ask(unit: BenchUnit, planned: PlannedQuestion, moment: AskMoment): Promise<QuestionResult> {
    const { name, dataset, protocol, store, signal } = this.#options;
    const { question, sources } = planned;
    await this.#options.onAsked?.(planned, moment.askedAt);
    const available = await Promise.all(sources.map((s) => memoriesOf(store, s.robotId, moment.asOf)));
    const graded = await this.#options.answer(planned, moment, signal);
    const start = this.#stream(sources[0]!.robotId).parts[0]!.base;
    return {
      run: name,
      dataset,
      protocol,
      unit: unit.id,
      videoId: question.videoId,
      questionId: question.id,
      type: question.type,
      question: question.question,
      reference: question.answer,
      ...graded.verdict,
      votes: graded.votes,
      sources: sources.map((s) => s.robotId),
      askedAtS: planned.askedAt === null ? null : nanosToSeconds(planned.askedAt - start),
      memoriesAvailable: available.reduce((n, m) => n + m.length, 0),
      evidence: graded.evidence,
    };
  }

  #stream(robotId: string): BenchStream {
    const stream = this.#options.plan.streams.get(robotId);
    if (!stream) throw new Error(`bench: the plan has no stream ${robotId}`);
    return stream;
  }
}
