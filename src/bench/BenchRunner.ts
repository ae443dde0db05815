import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Answerer } from '../answer/Answerer.js';
import type { TaskFocus } from '../focus/TaskFocus.js';
import type { Logger } from '../log.js';
import type { MemoryPipeline } from '../pipeline/MemoryPipeline.js';
import { secondsToNanos, type RosNanos } from '../time.js';
import type { BenchQuestion, DatasetFormat } from './datasets.js';
import { appendVideo, readRun, type QuestionResult } from './results.js';
import { gradeAnswer, type FreeFormJudge } from './scoring.js';
import { probeVideo, streamVideo } from './VideoSource.js';

/** ROS time given to the first frame of every video (videos are kept apart by robot id, one per video). */
export const VIDEO_BASE: RosNanos = 1_700_000_000n * 1_000_000_000n;

const VIDEO_EXTENSIONS = ['.mp4', '.mkv', '.webm', '.mov', '.avi'];

export interface BenchProgress {
  videosDone: number;
  videosTotal: number;
  questionsDone: number;
  questionsTotal: number;
  /** Seconds of video memorized so far in this process. */
  videoSeconds: number;
  elapsedS: number;
}

export interface BenchRunnerOptions {
  /** Run name: a row of the results table. */
  name: string;
  dataset: DatasetFormat;
  questions: BenchQuestion[];
  videosDir: string;
  /** Folder of this run: results.jsonl (and the store, chosen by the caller) live here. */
  runDir: string;
  /** The memory pipeline for one video; its robot id must be the video id and its clock `clock.now`. */
  makePipeline: (videoId: string, clock: { now: () => RosNanos }) => Promise<MemoryPipeline>;
  answerer: Answerer;
  judge: FreeFormJudge | null;
  /**
   * Task focus of the run: every question is logged as a task of its type, and `train` (re)trains the type's
   * focus vector after `updatesAt` questions of it (null below focus depth 2).
   */
  focus?: { taskFocus: TaskFocus; train: ((group: string) => Promise<unknown>) | null; updatesAt: number[] } | null;
  /** Videos streamed at once. */
  concurrency: number;
  /** Frames per second decoded from each video, and their long side. */
  fps: number;
  maxSide: number;
  onProgress?: (progress: BenchProgress) => void;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * The paper's streaming protocol over local videos. Each video is streamed at its own time base through the
 * same pipeline the robot runs; each question is answered when it arrives, from the memories written up to that
 * moment only (the pipeline is settled and the answerer sees only memories created by then); questions without
 * an arrival time are answered after the whole video. Finished videos are appended to results.jsonl with a done
 * marker, so an interrupted run resumes at the first unfinished video.
 */
export class BenchRunner {
  readonly #options: BenchRunnerOptions;
  readonly #askedPerType = new Map<string, number>();

  constructor(options: BenchRunnerOptions) {
    this.#options = options;
  }

  async run(): Promise<{ videos: number; skipped: number }> {
    const { questions, runDir, concurrency, signal } = this.#options;
    const { done } = await readRun(runDir);
    const byVideo = new Map<string, BenchQuestion[]>();
    for (const q of questions) byVideo.set(q.videoId, [...(byVideo.get(q.videoId) ?? []), q]);
    const files = await this.#videoFiles([...byVideo.keys()]);
    const todo = [...byVideo.keys()].filter((id) => !done.has(id));
    const progress: BenchProgress = {
      videosDone: byVideo.size - todo.length,
      videosTotal: byVideo.size,
      questionsDone: questions.filter((q) => done.has(q.videoId)).length,
      questionsTotal: questions.length,
      videoSeconds: 0,
      elapsedS: 0,
    };
    const started = performance.now();
    const report = () => this.#options.onProgress?.({ ...progress, elapsedS: (performance.now() - started) / 1000 });
    report();
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !signal?.aborted) {
        const videoId = todo[next++]!;
        await this.#runVideo(videoId, files.get(videoId)!, byVideo.get(videoId)!, progress, report);
        if (signal?.aborted) return;
        progress.videosDone++;
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return { videos: todo.length, skipped: byVideo.size - todo.length };
  }

  async #runVideo(videoId: string, path: string, questions: BenchQuestion[], progress: BenchProgress, report: () => void): Promise<void> {
    const { name, dataset, runDir, fps, maxSide, signal, logger } = this.#options;
    const info = await probeVideo(path);
    let readTo = VIDEO_BASE;
    const pipeline = await this.#options.makePipeline(videoId, { now: () => readTo });
    const pending = [...questions].sort((a, b) => (a.arrivesAt ?? Infinity) - (b.arrivesAt ?? Infinity));
    const results: QuestionResult[] = [];
    const ask = async (question: BenchQuestion, atS: number) => {
      await pipeline.settle();
      results.push(await this.#ask(question, videoId, atS, pipeline.counts.stored));
      progress.questionsDone++;
      report();
    };
    try {
      let lastSecond = 0;
      for await (const event of streamVideo(path, info, { base: VIDEO_BASE, fps, maxSide, ...(signal ? { signal } : {}) })) {
        while (pending[0]?.arrivesAt != null && VIDEO_BASE + secondsToNanos(pending[0].arrivesAt) <= event.stamp) {
          await ask(pending[0], pending.shift()!.arrivesAt!);
        }
        readTo = event.stamp;
        await pipeline.push(event.sensor);
        const second = Number((event.stamp - VIDEO_BASE) / 1_000_000_000n);
        if (second > lastSecond) {
          progress.videoSeconds += second - lastSecond;
          lastSecond = second;
        }
      }
      if (signal?.aborted) return;
      await pipeline.drain();
      for (const question of pending) await ask(question, question.arrivesAt ?? info.durationS);
    } finally {
      await pipeline.close({ abort: signal?.aborted ?? false });
    }
    if (signal?.aborted) return;
    const { stored, failed, skipped } = pipeline.counts;
    await appendVideo(
      runDir,
      results.map((r) => ({ ...r, run: name, dataset })),
      { done: videoId, segments: stored + failed + skipped, memories: stored + skipped, failed },
    );
    logger.info(
      `bench: ${videoId}: ${results.filter((r) => r.correct).length}/${results.length} correct, ${results.filter((r) => r.abstained).length} abstained`,
    );
  }

  async #ask(question: BenchQuestion, videoId: string, atS: number, memoriesAvailable: number): Promise<QuestionResult> {
    const askedAt = VIDEO_BASE + secondsToNanos(atS);
    const focus = this.#options.focus;
    if (focus) {
      await focus.taskFocus.note({ text: question.question, stamp: askedAt, group: question.type });
      const asked = (this.#askedPerType.get(question.type) ?? 0) + 1;
      this.#askedPerType.set(question.type, asked);
      if (focus.train && focus.updatesAt.includes(asked)) await focus.train(question.type);
    }
    const answer = await this.#options.answerer.ask(question.question, {
      askedAt,
      id: question.id,
      robotId: videoId,
      ...(question.options.length > 0 ? { choices: question.options } : {}),
      ...(this.#options.signal ? { signal: this.#options.signal } : {}),
    });
    const verdict = await gradeAnswer(question, answer, this.#options.judge);
    return {
      run: this.#options.name,
      dataset: this.#options.dataset,
      videoId,
      questionId: question.id,
      type: question.type,
      question: question.question,
      reference: question.answer,
      predicted: verdict.predicted,
      abstained: verdict.abstained,
      correct: verdict.correct,
      askedAtS: atS,
      memoriesAvailable,
      evidence: answer.evidence.map((e) => e.memoryId),
    };
  }

  /** Finds each video's file by id in the videos folder; all missing ones are named in one error. */
  async #videoFiles(ids: string[]): Promise<Map<string, string>> {
    const names = await readdir(this.#options.videosDir);
    const files = new Map<string, string>();
    const missing: string[] = [];
    for (const id of ids) {
      const name = names.find((n) => VIDEO_EXTENSIONS.some((ext) => n === id + ext));
      if (name) files.set(id, join(this.#options.videosDir, name));
      else missing.push(id);
    }
    if (missing.length > 0) {
      throw new Error(
        `bench: no video file for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} in ${this.#options.videosDir} (looked for ${VIDEO_EXTENSIONS.join(', ')})`,
      );
    }
    return files;
  }
}
