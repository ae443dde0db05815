import type { Answerer } from '../answer/Answerer.js';
import type { Assembly } from '../assembly/Assembly.js';
import type { MemorizerChain } from '../assembly/memorizerChain.js';
import type { Config } from '../config/schema.js';
import type { TaskFocus } from '../focus/TaskFocus.js';
import type { Logger } from '../log.js';
import type { FailedSegment, Memory } from '../memory/Memory.js';
import type { MemoryPipeline } from '../pipeline/MemoryPipeline.js';
import type { RunEpisodes } from '../memory/RunEpisodes.js';
import type { RosNanos } from '../time.js';

export interface LiveStagesOptions {
  /** Its `config` is the node's live configuration, changed in place by `ros2 param set`. */
  assembly: Assembly;
  /** The node run's episodes, claimed in the store: its first is one past the last of this robot. */
  episodes: RunEpisodes;
  /** The node's ROS time: memories are written at it. */
  now: () => RosNanos;
  logger: Logger;
  /** Every memory a pipeline stores, the current one's or one still finishing after a replacement. */
  onStored: (memory: Memory) => void;
  /** Every segment a pipeline could not memorize (recorded in the store). */
  onFailed: (failure: FailedSegment) => void;
}

/** Segments that ended stored, failed or dropped. */
export interface SegmentCounts {
  stored: number;
  failed: number;
  dropped: number;
}

/** Parameter groups whose change replaces the pipeline (store.* are all read-only). */
const PIPELINE_GROUPS = new Set(['segment', 'memorizer', 'camera', 'audio']);

/**
 * The memory node's stages for the live configuration — task focus, pipeline, answerer — and what a change of
 * parameters does to them: the node's own settings apply at once, `focus.depth` too; a change to what the
 * answerer or the task focus is built from rebuilds it; a change to segmentation, keyframes, audio, the memorizer
 * or the focus wrapper replaces the pipeline: the old one closes its open segment and finishes it in the
 * background, the new one continues the same episode from the next message on. Counts stay the node's totals
 * across replacements.
 *
 * Invariants: changes are applied one at a time, in the order they were made; when new stages cannot be made
 * the previous ones keep running and `apply` rejects, so the caller can set the parameters back; `inEffect` is
 * the configuration of the stages running now.
 */
export class LiveStages {
  readonly #assembly: Assembly;
  readonly #episodes: RunEpisodes;
  readonly #now: () => RosNanos;
  readonly #logger: Logger;
  readonly #onStored: (memory: Memory) => void;
  readonly #onFailed: (failure: FailedSegment) => void;
  #focus: TaskFocus;
  #answerer: Answerer;
  #pipeline: MemoryPipeline;
  #memorizer: MemorizerChain;
  #inEffect: Config;
  /** Totals of pipelines replaced after a parameter change, so that counts stay the node's. */
  readonly #retired: SegmentCounts = { stored: 0, failed: 0, dropped: 0 };
  readonly #retiredInputs: Record<string, number> = {};
  /** Pipelines replaced after a parameter change, finishing their last segments. */
  readonly #retiring = new Set<Promise<void>>();
  /** Tail of the chain of changes; they run one at a time. */
  #changes: Promise<void> = Promise.resolve();
  #stopped = false;

  private constructor(
    options: LiveStagesOptions,
    stages: { focus: TaskFocus; answerer: Answerer; pipeline: MemoryPipeline; memorizer: MemorizerChain },
  ) {
    this.#assembly = options.assembly;
    this.#episodes = options.episodes;
    this.#now = options.now;
    this.#logger = options.logger;
    this.#onStored = options.onStored;
    this.#onFailed = options.onFailed;
    this.#focus = stages.focus;
    this.#answerer = stages.answerer;
    this.#pipeline = stages.pipeline;
    this.#memorizer = stages.memorizer;
    this.#inEffect = structuredClone(options.assembly.config);
    this.#attach(stages.pipeline);
  }

  /** Makes the stages of the assembly's configuration: the task focus from the task log, the pipeline, the answerer. */
  static async start(options: LiveStagesOptions): Promise<LiveStages> {
    const { assembly, episodes, now } = options;
    const focus = await assembly.taskFocus();
    const { pipeline, memorizer } = await assembly.pipeline({ episode: 0, episodes, now, focus, overflow: 'drop' });
    return new LiveStages(options, { focus, answerer: assembly.answerer(), pipeline, memorizer });
  }

  get pipeline(): MemoryPipeline {
    return this.#pipeline;
  }

  get answerer(): Answerer {
    return this.#answerer;
  }

  get focus(): TaskFocus {
    return this.#focus;
  }

  /** What writes the memories, in words. */
  get memorizer(): string {
    return this.#memorizer.description;
  }

  /** The configuration of the stages running now (before a change is applied, and after one that failed). */
  get inEffect(): Config {
    return this.#inEffect;
  }

  /** Task focus counters (judge calls and tokens, vector rankings, pairs, trainings); empty below depth 2. */
  focusCost(): Record<string, number> {
    return this.#memorizer.focusCost?.() ?? {};
  }

  /** Segments stored, failed and dropped since the node started, replaced pipelines included. */
  get counts(): SegmentCounts {
    const live = this.#pipeline.counts;
    return {
      stored: this.#retired.stored + live.stored,
      failed: this.#retired.failed + live.failed,
      dropped: this.#retired.dropped + live.dropped,
    };
  }

  /** Input messages dropped or rejected since the node started, by cause, replaced pipelines included. */
  get droppedInputs(): Record<string, number> {
    const inputs = { ...this.#retiredInputs };
    for (const [cause, n] of Object.entries(this.#pipeline.dropped)) inputs[cause] = (inputs[cause] ?? 0) + n;
    return inputs;
  }

  /**
   * Applies the parameters `names`, whose new values are in the assembly's configuration. Resolves once the
   * stages they shape follow them; rejects, the previous stages still running, when new ones cannot be made.
   */
  apply(names: string[]): Promise<void> {
    const change = this.#changes.then(() => this.#apply(names));
    this.#changes = change.catch(() => {});
    return change;
  }

  async #apply(names: string[]): Promise<void> {
    if (this.#stopped) return;
    const { config } = this.#assembly;
    const group = (name: string) => name.split('.')[0]!;
    const changed = (g: string) => names.some((n) => group(n) === g);
    if (names.includes('focus.depth')) this.#focus.setDepth(config.focus.depth);
    const embedding = changed('embedding') && (await this.#assembly.reopenEmbedder());
    const rebuildFocus =
      names.some((n) => group(n) === 'focus' && n !== 'focus.depth') || (embedding && config.focus.grouping === 'embedding');
    // Depth 2 and 3 need the focus wrapper around the policy, which is made with the memorizer.
    const wrapperChanged = names.includes('focus.depth') && config.focus.depth >= 2 !== this.#inEffect.focus.depth >= 2;
    // The pipeline embeds every memory it stores: a new embedding source needs a new pipeline.
    const rebuildPipeline = embedding || rebuildFocus || wrapperChanged || names.some((n) => PIPELINE_GROUPS.has(group(n)));
    if (changed('answerer') || embedding) this.#answerer = this.#assembly.answerer();
    if (rebuildFocus) this.#focus = await this.#assembly.taskFocus();
    if (rebuildPipeline) await this.#replacePipeline();
    this.#inEffect = structuredClone(config);
  }

  async #replacePipeline(): Promise<void> {
    const old = this.#pipeline;
    const { pipeline, memorizer } = await this.#assembly.pipeline({
      episode: old.episode,
      episodes: this.#episodes,
      now: this.#now,
      focus: this.#focus,
      overflow: 'drop',
    });
    this.#attach(pipeline);
    this.#pipeline = pipeline;
    this.#memorizer = memorizer;
    const retire = old
      .drain()
      .catch((error: unknown) => this.#logger.error(`taskmem: ${(error as Error).message}`))
      .then(() => old.close())
      .catch(() => {})
      .finally(() => {
        for (const key of ['stored', 'failed', 'dropped'] as const) this.#retired[key] += old.counts[key];
        for (const [cause, n] of Object.entries(old.dropped)) this.#retiredInputs[cause] = (this.#retiredInputs[cause] ?? 0) + n;
        this.#retiring.delete(retire);
      });
    this.#retiring.add(retire);
  }

  #attach(pipeline: MemoryPipeline): void {
    pipeline.on('stored', (memory) => this.#onStored(memory));
    pipeline.on('failed', (failure) => this.#onFailed(failure));
  }

  /**
   * Stops: no further change is applied; the open segment is closed and memorized when that finishes within
   * `graceMs`, otherwise it and the queued ones are recorded as failed; replaced pipelines finish. The store is
   * left open (the assembly's).
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopped = true;
    await this.#changes;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.#pipeline.drain().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]).catch((error: unknown) => {
      this.#logger.error(`taskmem: pipeline failed while finishing: ${(error as Error).message}`);
      return false;
    });
    clearTimeout(timer);
    await this.#pipeline.close({ abort: !drained }).catch((error: unknown) => this.#logger.error(`taskmem: ${(error as Error).message}`));
    await Promise.allSettled([...this.#retiring]);
  }
}
