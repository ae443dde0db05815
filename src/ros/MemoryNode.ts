import type * as rcl from 'rclnodejs';
import { Assembly } from '../assembly/Assembly.js';
import { getParam, type Config } from '../config/schema.js';
import { rosParamDeclarations } from '../config/rosParams.js';
import { CauseCounter, type Logger } from '../log.js';
import type { Memory } from '../memory/Memory.js';
import { sensorTopics, type SensorMessage } from '../pipeline/SensorMessage.js';
import { secondsToNanos } from '../time.js';
import { executeAskGoal, type AskAction } from './AskGoal.js';
import { LiveStages } from './LiveStages.js';
import { answerMarkers, memoryMarkers } from './memoryMarkers.js';
import { leaseHolder } from '../memory/leaseHolder.js';
import { RunEpisodes } from '../memory/RunEpisodes.js';
import { NodeDiagnostics } from './NodeDiagnostics.js';
import { NodeParameters } from './NodeParameters.js';
import type { GoalHandle, Publisher, Rclnodejs, RosNode, Timer } from './Rclnodejs.js';
import { forgetQuery, recallQuery, toMemoryMsg } from './rosMessages.js';
import { redactCredentials } from '../text/redactCredentials.js';

export interface MemoryNodeOptions {
  rclnodejs: Rclnodejs;
  /** The command line with its `--ros-args`; process.argv by default. */
  argv?: string[];
  /** 'taskmem' by default, so that in the root namespace the action is /taskmem/ask; `__node` remaps it. */
  nodeName?: string;
  /** How long shutdown waits for the open and queued segments before recording the rest as failed. */
  shutdownGraceMs?: number;
  /** Where the API keys named by `*.api_key_env` are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

const ASK_ACTION: AskAction = 'taskmem/action/Ask';
/** Memories shown on ~/memory_markers at most, the newest: a map stays readable, and the array one message. */
const MARKER_MEMORIES = 500;

/**
 * The memory node: camera, audio and pose topics in; memories on `~/memories`, answers over the `~/ask` action
 * and on `~/answers`; `~/recall` and `~/forget` services on the same store; state on `/diagnostics`. Its stages
 * are the assembly's (src/assembly), the same as `taskmem ingest` makes from the same parameters; this class is
 * the ROS wiring around them (LiveStages, executeAskGoal, NodeDiagnostics).
 *
 * Invariants: subscription callbacks only hand messages to the pipeline (conversion is asynchronous there), in
 * arrival order, so the ROS main thread is never blocked on heavy work; a message the pipeline rejects is
 * counted and logged once per cause and the node keeps running; every Ask goal is logged as a task before it is
 * answered, and only memories created by the time the goal arrived are used; a parameter change whose stages
 * cannot be made is set back, so `ros2 param get` shows what is in effect.
 */
export class MemoryNode {
  readonly node: RosNode;
  readonly parameters: NodeParameters;
  readonly #rcl: Rclnodejs;
  readonly #assembly: Assembly;
  readonly #stages: LiveStages;
  readonly #diagnostics: NodeDiagnostics;
  readonly #logger: Logger;
  readonly #causes: CauseCounter;
  readonly #memories: Publisher<'taskmem/msg/Memory'>;
  readonly #answers: Publisher<'taskmem/msg/Answer'>;
  readonly #memoryMarkers: Publisher<'visualization_msgs/msg/MarkerArray'>;
  readonly #answerMarkers: Publisher<'visualization_msgs/msg/MarkerArray'>;
  readonly #diagnosticsPublisher: Publisher<'diagnostic_msgs/msg/DiagnosticArray'>;
  readonly #shutdownGraceMs: number;
  readonly #episode: number;
  readonly #episodes: RunEpisodes;
  /** Why the store can no longer be written (its file gone, its lease lost); null while it can. */
  #storeError: string | null = null;
  #diagnosticsTimer: Timer | null = null;
  #lastMemoryAt: bigint | null = null;
  #requests = new Set<Promise<unknown>>();
  #stopping: Promise<void> | null = null;

  /** Initialises rclnodejs from `argv`, declares the parameters, opens the stages and starts serving. */
  static async start({
    rclnodejs,
    argv = process.argv,
    nodeName = 'taskmem',
    shutdownGraceMs = 3000,
    env = process.env,
  }: MemoryNodeOptions): Promise<MemoryNode> {
    await rclnodejs.init(undefined, argv);
    // The node owns shutdown: it must flush the pipeline and close the store before rclnodejs goes away.
    rclnodejs.removeSignalHandlers();
    const node = new rclnodejs.Node(nodeName);
    const logger = node.getLogger();
    let assembly: Assembly | null = null;
    let episodes: RunEpisodes | null = null;
    try {
      const parameters = new NodeParameters(rclnodejs, node, logger);
      assembly = await Assembly.open(parameters.config, { logger, env });
      // The stages publish through the node, which exists only once they do: they reach it through `built`.
      let built: MemoryNode | null = null;
      // This run's episodes, claimed in the store: an ingest or another node of the same robot gets others.
      const { config } = parameters;
      episodes = await RunEpisodes.claim({
        store: assembly.store,
        robotId: config.robot_id,
        source: `node:${leaseHolder()}`,
        leaseMs: config.store.lease_s * 1000,
        onLost: (error) => {
          if (built) built.#storeFailed(error);
        },
      });
      const stages = await LiveStages.start({
        assembly,
        episodes,
        now: () => node.now().nanoseconds,
        logger,
        onStored: (memory) => {
          if (built) built.#published(memory);
        },
        onFailed: (failure) => logger.warn(`segment ${failure.id} not memorized: ${failure.reason}`),
      });
      built = new MemoryNode({ rclnodejs, node, parameters, assembly, stages, episodes, episode: await episodes.first, shutdownGraceMs });
      node.spin();
      return built;
    } catch (error) {
      await episodes?.release().catch(() => {});
      await assembly?.close();
      node.destroy();
      rclnodejs.shutdown();
      throw error;
    }
  }

  private constructor(parts: {
    rclnodejs: Rclnodejs;
    node: RosNode;
    parameters: NodeParameters;
    assembly: Assembly;
    stages: LiveStages;
    episodes: RunEpisodes;
    episode: number;
    shutdownGraceMs: number;
  }) {
    this.#rcl = parts.rclnodejs;
    this.node = parts.node;
    this.parameters = parts.parameters;
    this.#assembly = parts.assembly;
    this.#stages = parts.stages;
    this.#episode = parts.episode;
    this.#episodes = parts.episodes;
    this.#shutdownGraceMs = parts.shutdownGraceMs;
    this.#logger = this.node.getLogger();
    this.#causes = new CauseCounter(this.#logger);
    const config = this.config;
    const { QoS } = this.#rcl;

    this.#memories = this.node.createPublisher(
      'taskmem/msg/Memory',
      '~/memories',
      // Reliable and transient-local with a deep history, so a late subscriber still gets recent memories.
      {
        qos: new QoS(
          QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
          config.memories_depth,
          QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
          QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL,
        ),
      },
    );
    this.#answers = this.node.createPublisher('taskmem/msg/Answer', '~/answers');
    // The latest array only, kept for late joiners (RViz, Foxglove): each array replaces the previous one whole.
    const latest = {
      qos: new QoS(
        QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
        1,
        QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
        QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL,
      ),
    };
    this.#memoryMarkers = this.node.createPublisher('visualization_msgs/msg/MarkerArray', '~/memory_markers', latest);
    this.#answerMarkers = this.node.createPublisher('visualization_msgs/msg/MarkerArray', '~/answer_markers', latest);
    this.#diagnosticsPublisher = this.node.createPublisher('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics');
    this.#diagnostics = new NodeDiagnostics({
      probe: () => this.#assembly.probeEndpoint(),
      logger: this.#logger,
      name: `taskmem: ${this.node.name()}`,
      hardwareId: config.robot_id,
    });

    const subscribed: string[] = [];
    // AudioInfo is subscribed before its audio: rclnodejs's executor visits ready subscriptions in the order they
    // were created, so an AudioInfo published just before the first chunk is read first and that chunk is decoded
    // instead of dropped for want of a format.
    const sensors = sensorTopics(config).sort((a, b) => Number(b.kind === 'audio_info') - Number(a.kind === 'audio_info'));
    for (const sensor of sensors) {
      const sub = this.node.createSubscription(
        sensor.rosType as 'sensor_msgs/msg/Image',
        sensor.topic,
        { qos: QoS.profileSensorData },
        (message) => this.#feed({ kind: sensor.kind, message } as SensorMessage),
      );
      subscribed.push(`${sub.topic} (${sensor.rosType})`);
    }

    new this.#rcl.ActionServer(
      this.node,
      ASK_ACTION,
      '~/ask',
      (goalHandle: GoalHandle<AskAction>) => this.#track(this.#ask(goalHandle)),
      // Synchronous, as rclnodejs requires: every question is accepted and many may run at once.
      () => this.#rcl.GoalResponse.ACCEPT,
      undefined,
      () => this.#rcl.CancelResponse.ACCEPT,
    );
    // rclnodejs awaits a handler's Promise and sends its value as the response; its typings say void.
    /* eslint-disable @typescript-eslint/no-misused-promises */
    this.node.createService('taskmem/srv/Recall', '~/recall', {}, (request) => this.#track(this.#recall(request)));
    this.node.createService('taskmem/srv/Forget', '~/forget', {}, (request) => this.#track(this.#forget(request)));
    /* eslint-enable @typescript-eslint/no-misused-promises */

    this.#diagnostics.probeEndpoint();
    this.#startDiagnostics();
    void this.#track(this.#publishMemoryMarkers());
    this.parameters.onChange((names) => this.#applyChange(names));

    this.#logger.info(
      [
        `taskmem memory node ${this.node.namespace() === '/' ? '' : this.node.namespace()}/${this.node.name()} started (robot ${config.robot_id}, episode ${this.#episode})`,
        `  listening to ${subscribed.join(', ')}`,
        `  memorizer: ${this.#stages.memorizer}`,
        `  store: ${this.#assembly.storeDescription}`,
        `  embedding: ${this.#assembly.embedder ? `${this.#assembly.embedder.name}, every memory embedded as it is stored` : 'none (retrieval by full text and time)'}`,
        '  serving ~/ask, ~/recall, ~/forget; publishing ~/memories, ~/answers, ~/memory_markers, ~/answer_markers, /diagnostics',
      ].join('\n'),
    );
  }

  get config(): Config {
    return this.parameters.config;
  }

  /** The episode this run's first segment belongs to (one past the last stored for this robot). */
  get episode(): number {
    return this.#episode;
  }

  /**
   * Stops: no further messages are taken; the open segment is closed and memorized when that finishes within
   * the grace period, otherwise it and the queued ones are recorded as failed; the store is closed and
   * rclnodejs shut down. Safe to call more than once.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    this.#diagnosticsTimer?.cancel();
    this.#logger.info('taskmem: shutting down: finishing the segment in flight');
    await this.#stages.stop(this.#shutdownGraceMs);
    await Promise.allSettled([...this.#requests]);
    await this.#episodes.release().catch(() => {});
    await this.#assembly.close();
    const counts = this.#stages.counts;
    this.#logger.info(`taskmem: stopped (${counts.stored} stored, ${counts.failed} failed, ${counts.dropped} dropped)`);
    this.node.destroy();
    this.#rcl.shutdown();
  }

  #published(memory: Memory): void {
    this.#lastMemoryAt = this.node.now().nanoseconds;
    this.#memories.publish(toMemoryMsg(memory));
    void this.#track(this.#publishMemoryMarkers());
  }

  /** This robot's newest memories (MARKER_MEMORIES at most) as markers on ~/memory_markers. */
  async #publishMemoryMarkers(): Promise<void> {
    try {
      const { memories } = await this.#assembly.store.recall({ robotId: this.config.robot_id, limit: MARKER_MEMORIES });
      const now = this.node.now().nanoseconds;
      this.#memoryMarkers.publish(
        memoryMarkers(
          memories.map((m) => m.memory),
          { now, colouring: this.config.marker_colours },
        ),
      );
    } catch (error) {
      this.#causes.count('memory_markers', `taskmem: the memory markers were not published: ${(error as Error).message}`);
    }
  }

  /**
   * Makes a `ros2 param set` take effect (see LiveStages#apply). The diagnostics period applies at once. When the
   * new stages cannot be made, the previous ones keep running and the parameters are set back to the values in
   * effect.
   */
  #applyChange(names: string[]): void {
    this.#logger.info(
      redactCredentials(`taskmem: parameters changed: ${names.map((n) => `${n}=${JSON.stringify(getParam(this.config, n))}`).join(', ')}`),
    );
    if (names.includes('diagnostics_period_s')) this.#startDiagnostics();
    this.#stages.apply(names).catch((error: unknown) => {
      if (this.#stopping) return;
      this.#logger.error(
        `taskmem: the new parameters could not be applied, the previous stages keep running: ${(error as Error).message}; ` +
          `setting ${names.join(', ')} back`,
      );
      this.#setBack(names);
    });
  }

  /** Sets `names` back to the values of the stages running now; the change is announced and applied like any other. */
  #setBack(names: string[]): void {
    const inEffect = this.#stages.inEffect;
    const declarations = new Map(rosParamDeclarations().map((d) => [d.name, d]));
    const parameters = names.map((name) => {
      const declaration = declarations.get(name)!;
      const value = getParam(inEffect, name);
      return new this.#rcl.Parameter(name, declaration.typeId, declaration.type === 'integer' ? BigInt(value as number) : value);
    });
    for (const [i, result] of this.node.setParameters(parameters).entries())
      if (!result.successful) this.#logger.error(`taskmem: ${names[i]} could not be set back: ${result.reason}`);
  }

  /**
   * Hands one message to the pipeline without waiting: the pipeline keeps arrival order, bounds what it holds,
   * and counts bad input by cause instead of throwing. A rejection means the pipeline itself stopped.
   */
  #feed(message: SensorMessage): void {
    if (this.#stopping || this.#storeError !== null) return;
    this.#stages.pipeline
      .push(message)
      .catch((error: unknown) => this.#causes.count('pipeline_stopped', `taskmem: ${(error as Error).message}`));
  }

  #ask(goalHandle: GoalHandle<AskAction>): Promise<rcl.taskmem.action.Ask_Result> {
    return executeAskGoal(goalHandle, {
      focus: this.#stages.focus,
      answerer: this.#stages.answerer,
      store: this.#assembly.store,
      logger: this.#logger,
      robotId: this.config.robot_id,
      askedAt: this.node.now().nanoseconds,
      onAnswer: (message, answer) => {
        this.#answers.publish(message);
        this.#answerMarkers.publish(answerMarkers(answer.evidence, { now: this.node.now().nanoseconds }));
      },
    });
  }

  async #recall(request: rcl.taskmem.srv.Recall_Request): Promise<rcl.taskmem.srv.Recall_Response> {
    const query = recallQuery(request, this.config.answerer.max_evidence);
    const found = await this.#assembly.store.recall({ ...query, robotId: this.config.robot_id });
    return { memories: found.memories.map((s) => toMemoryMsg(s.memory)) };
  }

  async #forget(request: rcl.taskmem.srv.Forget_Request): Promise<rcl.taskmem.srv.Forget_Response> {
    const query = forgetQuery(request);
    if (!query) return { deleted: [] };
    const deleted = await this.#assembly.store.forget(query);
    if (deleted.length > 0) this.#logger.info(`taskmem: forgot ${deleted.length} memories`);
    if (deleted.length > 0) void this.#track(this.#publishMemoryMarkers());
    return { deleted: deleted.sort((a, b) => (a.start < b.start ? -1 : 1)).map(toMemoryMsg) };
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#requests.add(work);
    void work.finally(() => this.#requests.delete(work)).catch(() => {});
    return work;
  }

  #startDiagnostics(): void {
    this.#diagnosticsTimer?.cancel();
    this.#diagnosticsTimer = this.node.createTimer(secondsToNanos(this.config.diagnostics_period_s), () => this.#publishDiagnostics());
  }

  /**
   * The store can no longer be written (its file was deleted or replaced, its server stopped answering, this run's
   * episodes were taken): no further message is taken, so nothing more is written, and /diagnostics reports ERROR
   * until the node is restarted.
   */
  #storeFailed(error: Error): void {
    if (this.#storeError !== null || this.#stopping) return;
    this.#storeError = error.message;
    this.#logger.error(`taskmem: the memory store can no longer be written, memorizing stopped: ${error.message}`);
  }

  #publishDiagnostics(): void {
    this.#diagnostics.probeEndpoint();
    // The store file is checked on every write, and here between writes, so that a store deleted while the robot is
    // idle is reported too.
    this.#assembly.store.verify().catch((error: unknown) => this.#storeFailed(error instanceof Error ? error : new Error(String(error))));
    const stages = this.#stages;
    const pipeline = stages.pipeline;
    this.#diagnosticsPublisher.publish(
      this.#diagnostics.report({
        now: this.node.now().nanoseconds,
        counts: stages.counts,
        droppedInputs: stages.droppedInputs,
        queueDepth: pipeline.pending,
        episode: this.#episodes.current,
        lastMemoryAt: this.#lastMemoryAt,
        pipelineStopped: this.#causes.get('pipeline_stopped') > 0,
        storeError: this.#storeError,
        focusGroup: stages.focus.context()?.group ?? null,
        focusCost: stages.focusCost(),
        embedding: stages.pipeline.embedding,
      }),
    );
  }
}
