import type { Answerer } from '../answer/Answerer.js';
import type { Config } from '../config/schema.js';
import { EmbeddingBackfill, type EmbeddingBackfillOptions } from '../embed/EmbeddingBackfill.js';
import type { EmbeddingSource } from '../embed/EmbeddingSource.js';
import { openEmbeddingSource } from '../embed/openEmbeddingSource.js';
import type { TaskFocus } from '../focus/TaskFocus.js';
import { CauseCounter, type Logger } from '../log.js';
import { ImageConverter } from '../media/ImageConverter.js';
import { keyframeThumbnails } from '../media/keyframeThumbnails.js';
import type { FocusContext } from '../memorize/Memorizer.js';
import type { Memory } from '../memory/Memory.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import type { RunEpisodes } from '../memory/RunEpisodes.js';
import { MemoryPipeline } from '../pipeline/MemoryPipeline.js';
import { SegmentSight } from '../people/SegmentSight.js';
import { VadSpeechTrack } from '../segment/VadSpeechTrack.js';
import type { RosNanos } from '../time.js';
import { openAnswerer } from './answerer.js';
import { checkEndpoint, probeEndpoint } from './endpoint.js';
import { openMemorizerChain, type MemorizerChain } from './memorizerChain.js';
import { describeStore, openStore } from './openStore.js';
import { openTaskFocus } from './taskFocus.js';

/** The open embedding source and the embedding.* values it was opened for. */
interface OpenEmbedding {
  opened: string;
  source: EmbeddingSource | null;
}

export interface AssemblyOptions {
  logger: Logger;
  /** Where the API keys named by `*.api_key_env` are read; process.env unless a test gives its own. */
  env?: NodeJS.ProcessEnv;
  /** A SQLite store that is not there is an error instead of a new, empty store (a command that only reads). */
  storeMustExist?: boolean;
}

export interface PipelineOptions {
  /**
   * Episode of the first segment (the benchmark: 0 for each video's robot); with `episodes`, the run's ordinal
   * episode to start at (0, or the one a replaced pipeline of the same run was in).
   */
  episode?: number;
  /** The episodes the run claimed in the store (a node's run, an ingest's recording): segments are numbered by them. */
  episodes?: RunEpisodes;
  /** The clock memories are written at: the node's ROS time, or the newest stamp read from a recording. */
  now: () => RosNanos;
  /** The task focus the memorizer follows (the store's task log); null: none. */
  focus: { context(): FocusContext | null } | null;
  /** `drop` for a live stream (memorizer.drop_policy applies); `wait` for a recording, which can wait. */
  overflow: 'drop' | 'wait';
  /** The memorizer, when the caller needs its parts (the benchmark trains focus vectors through it). */
  memorizer?: MemorizerChain;
  /** The robot the memories are written for, when not robot_id (the benchmark: one per video). */
  robotId?: string;
  /** Stored memories to write again instead of skipping (MemoryPipelineOptions.redo). */
  redo?: (stored: Memory) => boolean;
}

/**
 * The composition root: turns a configuration into the stages, the same way for the ROS node and every command,
 * so that a configuration memorizes, embeds, focuses and answers offline as it does on the robot. It opens the
 * store and the embedding source once and hands them to the stages that need them (the pipeline, the task
 * focus's grouping, the answerer, the backfill of `taskmem reindex`); everything else is made on request from
 * `config` as it is at that moment: the node's parameters change it in place, and the stages made after a change
 * follow the new values.
 */
export class Assembly {
  readonly config: Config;
  readonly store: MemoryStore;
  readonly #logger: Logger;
  readonly #env: NodeJS.ProcessEnv;
  #embedding: OpenEmbedding;
  /** Made on first use: loading the vision models takes seconds that a command which only reads should not wait. */
  #sight: Promise<SegmentSight | null> | null = null;

  private constructor(config: Config, store: MemoryStore, embedding: OpenEmbedding, logger: Logger, env: NodeJS.ProcessEnv) {
    this.config = config;
    this.store = store;
    this.#embedding = embedding;
    this.#logger = logger;
    this.#env = env;
  }

  /** Opens the store and the embedding source of `config`; the caller must `close()` the assembly. */
  static async open(config: Config, { logger, env = process.env, storeMustExist = false }: AssemblyOptions): Promise<Assembly> {
    const store = await openStore(config.store, { logger, mustExist: storeMustExist });
    try {
      const source = await openEmbeddingSource(config, env);
      return new Assembly(config, store, { opened: JSON.stringify(config.embedding), source }, logger, env);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** The embedding source of embedding.*; null when none is configured. */
  get embedder(): EmbeddingSource | null {
    return this.#embedding.source;
  }

  /**
   * Opens the embedding source again when embedding.* changed since it was opened, closing the old one: stages
   * made before keep the closed source, so they must be made again (the node rebuilds its answerer and task
   * focus). Returns whether it changed.
   */
  async reopenEmbedder(): Promise<boolean> {
    const wanted = JSON.stringify(this.config.embedding);
    if (wanted === this.#embedding.opened) return false;
    const source = await openEmbeddingSource(this.config, this.#env);
    const old = this.#embedding.source;
    this.#embedding = { opened: wanted, source };
    await old?.close();
    return true;
  }

  /** The store in words for the start-up log: the SQLite file or the PostgreSQL URL without its password. */
  get storeDescription(): string {
    return describeStore(this.config.store);
  }

  /** The task focus of `robotId` (robot_id by default), started from its task log in the store. */
  taskFocus(robotId: string = this.config.robot_id): Promise<TaskFocus> {
    return openTaskFocus({ ...this.config, robot_id: robotId }, { store: this.store, embedder: this.embedder, env: this.#env });
  }

  /**
   * What the keyframes show, by perception.* and people.* (objects, faces, people kept in the store); null when
   * detection is off. One for the assembly: every memorizer made from it looks through it, so its detection budget
   * and its record of the views and people it has seen span them all. Those parameters are read-only, so it never
   * needs making again.
   */
  sight(): Promise<SegmentSight | null> {
    this.#sight ??= SegmentSight.fromConfig(this.config, { store: this.store, logger: this.#logger });
    return this.#sight;
  }

  /**
   * The memorizer of memorizer.* and focus.* (policy, focus wrapper, perception fallback) looking through `sight()`,
   * writing at `now`; `onRequest` sees each policy request as it is built (the benchmark measures its tokens).
   */
  async memorizer(now: () => RosNanos, onRequest?: Parameters<typeof openMemorizerChain>[1]['onRequest']): Promise<MemorizerChain> {
    return openMemorizerChain(this.config, {
      store: this.store,
      now,
      logger: this.#logger,
      env: this.#env,
      sight: await this.sight(),
      ...(onRequest ? { onRequest } : {}),
    });
  }

  /**
   * A memory pipeline for a stream: keyframes of camera.*, speech of audio.* (Silero VAD, with transcripts when
   * audio.transcriber_url is set), the memorizer, the store, thumbnails when store.thumbnails is on, and every
   * memory embedded by the embedding source as it is stored (caught up later when the source fails).
   */
  async pipeline(options: PipelineOptions): Promise<{ pipeline: MemoryPipeline; memorizer: MemorizerChain }> {
    const { episode = 0, episodes, now, focus, overflow, robotId = this.config.robot_id, redo } = options;
    const config = { ...this.config, robot_id: robotId };
    const memorizer = options.memorizer ?? (await this.memorizer(now));
    const speech = config.audio.type === 'none' ? null : await VadSpeechTrack.fromConfig(config, new CauseCounter(this.#logger), this.#env);
    const pipeline = new MemoryPipeline({
      config,
      converter: new ImageConverter(config.camera),
      speech,
      firstEpisode: episode,
      ...(episodes ? { episodes: (ordinal: number) => episodes.episode(ordinal) } : {}),
      memorizer: memorizer.memorizer,
      fallback: memorizer.fallback,
      store: this.store,
      embedding: this.embedder,
      thumbnails: config.store.thumbnails ? keyframeThumbnails : null,
      logger: this.#logger,
      overflow,
      ...(focus ? { focus: () => focus.context() } : {}),
      ...(redo ? { redo } : {}),
    });
    return { pipeline, memorizer };
  }

  /**
   * The embedding of the stored memories that have no vector of the embedding source's model, a batch at a time
   * (`taskmem reindex`); null when no embedding source is configured.
   */
  embeddingBackfill(options: Omit<EmbeddingBackfillOptions, 'store' | 'source'> = {}): EmbeddingBackfill | null {
    const source = this.embedder;
    return source ? new EmbeddingBackfill({ ...options, store: this.store, source }) : null;
  }

  /** The answerer of answerer.*, searching by vector when an embedding source is open. */
  answerer(): Answerer {
    return openAnswerer(this.config, { store: this.store, embedder: this.embedder, logger: this.#logger, env: this.#env });
  }

  /** Whether the memorizer endpoint answers now; null when none is configured (the node's diagnostics). */
  probeEndpoint(): Promise<boolean> | null {
    return this.config.memorizer.url ? probeEndpoint(this.config.memorizer.url).then((r) => r.reachable) : null;
  }

  /** See `checkEndpoint`: before an offline run writes anything. */
  checkEndpoint(hint?: string): Promise<string | null> {
    return checkEndpoint(this.config.memorizer, { logger: this.#logger, ...(hint === undefined ? {} : { hint }) });
  }

  /** Closes the embedding source and the store. */
  async close(): Promise<void> {
    try {
      await this.#embedding.source?.close();
    } finally {
      await this.store.close();
    }
  }
}
