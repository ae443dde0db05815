import { randomUUID } from 'node:crypto';
import type * as rcl from 'rclnodejs';
import { taskAnswer, type Answer, type AskFeedback } from '../answer/Answer.js';
import type { Answerer } from '../answer/Answerer.js';
import { toMemoryMsg } from '../bag/MemoryMessage.js';
import type { TaskFocus } from '../focus/TaskFocus.js';
import type { Config } from '../config/schema.js';
import { CauseCounter, type Logger } from '../log.js';
import type { Memory } from '../memory/Memory.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import type { MemoryPipeline } from '../pipeline/MemoryPipeline.js';
import { sensorTopics, type SensorMessage } from '../pipeline/SensorMessage.js';
import { nanosToSeconds, secondsToNanos, toRosTime, type RosNanos } from '../time.js';
import { NodeParameters } from './NodeParameters.js';
import type { GoalHandle, Publisher, Rclnodejs, RosNode, Timer } from './Rclnodejs.js';
import { answerMsg, forgetQuery, optionalTime, recallQuery } from './rosMessages.js';
import { redactCredentials } from '../text/redactCredentials.js';

export type LivePipeline = Pick<MemoryPipeline, 'push' | 'drain' | 'close' | 'pending' | 'counts' | 'dropped' | 'episode' | 'on'>;
export type QuestionAnswerer = Pick<Answerer, 'ask'>;
export type NodeTaskFocus = Pick<TaskFocus, 'note' | 'setDepth' | 'context'>;

/** Task-focus counters for /diagnostics (judge calls and tokens, …); null when focus depth is below 2. */
export type FocusCost = (() => Record<string, number>) | null;

/**
 * How the node gets its stages for a configuration: src/ros/main.ts gives the ones the configuration describes
 * (the same as `taskmem ingest` uses); tests give them with a stand-in model server behind.
 */
export interface MemoryNodeAssembly {
  openStore(config: Config, logger: Logger): Promise<MemoryStore>;
  /** The task focus, started from the task log in the store. */
  focus(options: { config: Config; store: MemoryStore; logger: Logger }): Promise<NodeTaskFocus>;
  /**
   * The pipeline for a live stream whose first segment belongs to `episode`; `now` is the node's ROS time.
   * `memorizer` describes what writes memories, for the startup log.
   */
  pipeline(options: {
    config: Config;
    store: MemoryStore;
    focus: NodeTaskFocus;
    episode: number;
    logger: Logger;
    now: () => RosNanos;
  }): Promise<{ pipeline: LivePipeline; memorizer: string; focusCost?: FocusCost }>;
  answerer(options: { config: Config; store: MemoryStore; logger: Logger }): Promise<QuestionAnswerer>;
  /** Whether the memorizer endpoint answers; null when none is configured. */
  probeEndpoint(config: Config): Promise<boolean> | null;
}

export interface MemoryNodeOptions {
  rclnodejs: Rclnodejs;
  assembly: MemoryNodeAssembly;
  /** The command line with its `--ros-args`; process.argv by default. */
  argv?: string[];
  /** 'taskmem' by default, so that in the root namespace the action is /taskmem/ask; `__node` remaps it. */
  nodeName?: string;
  /** How long shutdown waits for the open and queued segments before recording the rest as failed. */
  shutdownGraceMs?: number;
}

type AskAction = 'taskmem/action/Ask';

const ASK_ACTION: AskAction = 'taskmem/action/Ask';
/** rclnodejs tells an execute callback of a cancel request only through the goal handle's state: it is polled. */
const CANCEL_POLL_MS = 50;
/** diagnostic_msgs/DiagnosticStatus levels. */
const DIAG = { OK: 0, WARN: 1, ERROR: 2 } as const;

/**
 * The memory node: camera, audio and pose topics in; memories on `~/memories`, answers over the `~/ask` action
 * and on `~/answers`; `~/recall` and `~/forget` services on the same store; state on `/diagnostics`.
 *
 * Invariants: subscription callbacks only hand messages to the pipeline (conversion is asynchronous there), in
 * arrival order, so the ROS main thread is never blocked on heavy work; a message the pipeline rejects is
 * counted and logged once per cause and the node keeps running; every Ask goal is logged as a task before it is
 * answered, and only memories created by the time the goal arrived are used.
 */
export class MemoryNode {
  readonly node: RosNode;
  readonly parameters: NodeParameters;
  readonly #rcl: Rclnodejs;
  readonly #store: MemoryStore;
  #pipeline: LivePipeline;
  #answerer: QuestionAnswerer;
  #focus: NodeTaskFocus;
  readonly #memorizer: string;
  #focusCost: FocusCost;
  readonly #memories: Publisher<'taskmem/msg/Memory'>;
  /** Counts of pipelines replaced after a parameter change, so diagnostics keep the node's totals. */
  readonly #retiredCounts = { stored: 0, failed: 0, dropped: 0 };
  readonly #retiredDrops: Record<string, number> = {};
  /** Pipelines replaced after a parameter change, finishing their last segments. */
  readonly #retiring = new Set<Promise<void>>();
  /** Tail of the chain of stage rebuilds after parameter changes; they run one at a time. */
  #reconfiguring: Promise<void> = Promise.resolve();
  readonly #assembly: MemoryNodeAssembly;
  readonly #logger: Logger;
  readonly #causes: CauseCounter;
  readonly #answers: Publisher<'taskmem/msg/Answer'>;
  readonly #diagnostics: Publisher<'diagnostic_msgs/msg/DiagnosticArray'>;
  readonly #shutdownGraceMs: number;
  readonly #episode: number;
  #diagnosticsTimer: Timer | null = null;
  #lastMemoryAt: bigint | null = null;
  /** Whether the memorizer endpoint answered the last probe; null: none configured; undefined: not probed yet. */
  #endpoint: boolean | null | undefined = undefined;
  #probing = false;
  #goals = new Set<Promise<unknown>>();
  #stopping: Promise<void> | null = null;

  /** Initialises rclnodejs from `argv`, declares the parameters, opens the store and starts serving. */
  static async start({
    rclnodejs,
    assembly,
    argv = process.argv,
    nodeName = 'taskmem',
    shutdownGraceMs = 3000,
  }: MemoryNodeOptions): Promise<MemoryNode> {
    await rclnodejs.init(undefined, argv);
    // The node owns shutdown: it must flush the pipeline and close the store before rclnodejs goes away.
    rclnodejs.removeSignalHandlers();
    const node = new rclnodejs.Node(nodeName);
    const logger = node.getLogger();
    let store: MemoryStore | null = null;
    try {
      const parameters = new NodeParameters(rclnodejs, node, logger);
      const config = parameters.config;
      store = await assembly.openStore(config, logger);
      const episode = (await store.lastEpisode(config.robot_id)) + 1;
      const focus = await assembly.focus({ config, store, logger });
      const {
        pipeline,
        memorizer,
        focusCost = null,
      } = await assembly.pipeline({ config, store, focus, episode, logger, now: () => node.now().nanoseconds });
      const answerer = await assembly.answerer({ config, store, logger });
      const memoryNode = new MemoryNode({
        rclnodejs,
        node,
        parameters,
        store,
        pipeline,
        memorizer,
        focusCost,
        answerer,
        focus,
        assembly,
        episode,
        shutdownGraceMs,
      });
      node.spin();
      return memoryNode;
    } catch (error) {
      await store?.close();
      node.destroy();
      rclnodejs.shutdown();
      throw error;
    }
  }

  private constructor(parts: {
    rclnodejs: Rclnodejs;
    node: RosNode;
    parameters: NodeParameters;
    store: MemoryStore;
    pipeline: LivePipeline;
    memorizer: string;
    focusCost: FocusCost;
    answerer: QuestionAnswerer;
    focus: NodeTaskFocus;
    assembly: MemoryNodeAssembly;
    episode: number;
    shutdownGraceMs: number;
  }) {
    this.#rcl = parts.rclnodejs;
    this.node = parts.node;
    this.parameters = parts.parameters;
    this.#store = parts.store;
    this.#pipeline = parts.pipeline;
    this.#answerer = parts.answerer;
    this.#focus = parts.focus;
    this.#memorizer = parts.memorizer;
    this.#focusCost = parts.focusCost;
    this.#assembly = parts.assembly;
    this.#episode = parts.episode;
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
    this.#attach(this.#pipeline);
    this.#answers = this.node.createPublisher('taskmem/msg/Answer', '~/answers');
    this.#diagnostics = this.node.createPublisher('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics');

    const subscribed: string[] = [];
    for (const sensor of sensorTopics(config)) {
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

    this.#probeEndpoint();
    this.#startDiagnostics();
    this.parameters.onChange((names) => this.#applyChange(names));

    this.#logger.info(
      [
        `taskmem memory node ${this.node.namespace() === '/' ? '' : this.node.namespace()}/${this.node.name()} started (robot ${config.robot_id}, episode ${this.#episode})`,
        `  listening to ${subscribed.join(', ')}`,
        `  memorizer: ${this.#memorizer}`,
        `  store: ${config.store.backend === 'sqlite' ? `sqlite ${config.store.path}` : `postgres ${redactCredentials(config.store.url)}`}`,
        '  serving ~/ask, ~/recall, ~/forget; publishing ~/memories, ~/answers, /diagnostics',
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
    await this.#reconfiguring;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.#pipeline.drain().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.#shutdownGraceMs))),
    ]).catch((error: unknown) => {
      this.#logger.error(`taskmem: pipeline failed while finishing: ${(error as Error).message}`);
      return false;
    });
    clearTimeout(timer);
    await this.#pipeline.close({ abort: !drained }).catch((error: unknown) => this.#logger.error(`taskmem: ${(error as Error).message}`));
    await Promise.allSettled([...this.#goals, ...this.#retiring]);
    await this.#store.close();
    const counts = this.#counts();
    this.#logger.info(`taskmem: stopped (${counts.stored} stored, ${counts.failed} failed, ${counts.dropped} dropped)`);
    this.node.destroy();
    this.#rcl.shutdown();
  }

  /** Publishes what a pipeline stores and logs what it cannot memorize. */
  #attach(pipeline: LivePipeline): void {
    pipeline.on('stored', (memory: Memory) => {
      this.#lastMemoryAt = this.node.now().nanoseconds;
      this.#memories.publish(toMemoryMsg(memory));
    });
    pipeline.on('failed', (failure) => this.#logger.warn(`segment ${failure.id} not memorized: ${failure.reason}`));
  }

  /**
   * Makes a `ros2 param set` take effect. The node's own settings apply at once; a change to what the answerer
   * or the task focus is built from rebuilds it; a change to segmentation, keyframes, audio or the memorizer
   * replaces the pipeline: the old one closes its open segment and finishes it in the background, the new one
   * continues the same episode with the new settings from the next message on.
   */
  #applyChange(names: string[]): void {
    this.#logger.info(
      redactCredentials(`taskmem: parameters changed: ${names.map((n) => `${n}=${JSON.stringify(lookup(this.config, n))}`).join(', ')}`),
    );
    const group = (n: string) => n.split('.')[0]!;
    if (names.includes('diagnostics_period_s')) this.#startDiagnostics();
    if (names.includes('focus.depth')) this.#focus.setDepth(this.config.focus.depth);
    const rebuildFocus = names.some((n) => group(n) === 'focus' && n !== 'focus.depth');
    const rebuildAnswerer = names.some((n) => group(n) === 'answerer' || group(n) === 'embedding');
    const rebuildPipeline = rebuildFocus || names.some((n) => ['segment', 'memorizer', 'camera', 'audio', 'store'].includes(group(n)));
    if (!rebuildFocus && !rebuildAnswerer && !rebuildPipeline) return;
    this.#reconfiguring = this.#reconfiguring.then(async () => {
      if (this.#stopping) return;
      const { config } = this;
      try {
        if (rebuildAnswerer) this.#answerer = await this.#assembly.answerer({ config, store: this.#store, logger: this.#logger });
        if (rebuildFocus) this.#focus = await this.#assembly.focus({ config, store: this.#store, logger: this.#logger });
        if (rebuildPipeline) await this.#replacePipeline();
      } catch (error) {
        this.#logger.error(
          `taskmem: the new parameters could not be applied, the previous stages keep running: ${(error as Error).message}`,
        );
      }
    });
  }

  async #replacePipeline(): Promise<void> {
    const old = this.#pipeline;
    const focus = this.#focus;
    const { pipeline, focusCost = null } = await this.#assembly.pipeline({
      config: this.config,
      store: this.#store,
      focus,
      episode: old.episode,
      logger: this.#logger,
      now: () => this.node.now().nanoseconds,
    });
    this.#attach(pipeline);
    this.#pipeline = pipeline;
    this.#focusCost = focusCost;
    const retire = old
      .drain()
      .catch((error: unknown) => this.#logger.error(`taskmem: ${(error as Error).message}`))
      .then(() => old.close())
      .catch(() => {})
      .finally(() => {
        for (const key of ['stored', 'failed', 'dropped'] as const) this.#retiredCounts[key] += old.counts[key];
        for (const [cause, n] of Object.entries(old.dropped)) this.#retiredDrops[cause] = (this.#retiredDrops[cause] ?? 0) + n;
        this.#retiring.delete(retire);
      });
    this.#retiring.add(retire);
  }

  #counts(): { stored: number; failed: number; dropped: number } {
    const live = this.#pipeline.counts;
    return {
      stored: this.#retiredCounts.stored + live.stored,
      failed: this.#retiredCounts.failed + live.failed,
      dropped: this.#retiredCounts.dropped + live.dropped,
    };
  }

  /**
   * Hands one message to the pipeline without waiting: the pipeline keeps arrival order, bounds what it holds,
   * and counts bad input by cause instead of throwing. A rejection means the pipeline itself stopped.
   */
  #feed(message: SensorMessage): void {
    if (this.#stopping) return;
    this.#pipeline.push(message).catch((error: unknown) => this.#causes.count('pipeline_stopped', `taskmem: ${(error as Error).message}`));
  }

  async #ask(goalHandle: GoalHandle<AskAction>): Promise<rcl.taskmem.action.Ask_Result> {
    const goal = goalHandle.request;
    const askedAt = this.node.now().nanoseconds;
    const id = uuidString(goalHandle.goalId.uuid);
    const task = await this.#focus.note({
      text: goal.question,
      stamp: askedAt,
      kind: 'ask',
      ...(goal.task_group ? { group: goal.task_group } : {}),
    });

    const controller = new AbortController();
    const poll = setInterval(() => {
      if (goalHandle.isCancelRequested) controller.abort(new Error('cancelled by the client'));
    }, CANCEL_POLL_MS);
    const since = optionalTime(goal.since);
    const until = optionalTime(goal.until);
    try {
      const answer = await this.#answerer.ask(goal.question, {
        askedAt,
        id,
        robotId: this.config.robot_id,
        choices: goal.choices,
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
        ...(goal.task_group ? { taskGroup: goal.task_group } : {}),
        signal: controller.signal,
        onFeedback: (feedback: AskFeedback) =>
          goalHandle.publishFeedback({ stage: feedback.stage, memories_considered: feedback.memoriesConsidered }),
      });
      if (goalHandle.isCancelRequested) {
        goalHandle.canceled();
        return { answer: answerMsg(answer) };
      }
      // The answer is kept beside its task for `taskmem report`; a store that cannot take it costs the record only.
      await this.#store
        .recordAnswer(task.id, taskAnswer(answer))
        .catch((error: unknown) =>
          this.#logger.warn(`taskmem: the answer to "${goal.question}" was not recorded: ${(error as Error).message}`),
        );
      goalHandle.succeed();
      const message = answerMsg(answer);
      this.#answers.publish(message);
      return { answer: message };
    } catch (error) {
      const empty = answerMsg(emptyAnswer(id, goal.question, askedAt));
      if (goalHandle.isCancelRequested) {
        goalHandle.canceled();
        return { answer: empty };
      }
      this.#logger.error(`taskmem: question "${goal.question}" failed: ${(error as Error).message}`);
      goalHandle.abort();
      return { answer: empty };
    } finally {
      clearInterval(poll);
    }
  }

  async #recall(request: rcl.taskmem.srv.Recall_Request): Promise<rcl.taskmem.srv.Recall_Response> {
    const query = recallQuery(request, this.config.answerer.max_evidence);
    const found = await this.#store.recall({ ...query, robotId: this.config.robot_id });
    return { memories: found.map((s) => toMemoryMsg(s.memory)) };
  }

  async #forget(request: rcl.taskmem.srv.Forget_Request): Promise<rcl.taskmem.srv.Forget_Response> {
    const query = forgetQuery(request);
    if (!query) return { deleted: [] };
    const deleted = await this.#store.forget(query);
    if (deleted.length > 0) this.#logger.info(`taskmem: forgot ${deleted.length} memories`);
    return { deleted: deleted.sort((a, b) => (a.start < b.start ? -1 : 1)).map(toMemoryMsg) };
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#goals.add(work);
    void work.finally(() => this.#goals.delete(work)).catch(() => {});
    return work;
  }

  #startDiagnostics(): void {
    this.#diagnosticsTimer?.cancel();
    this.#diagnosticsTimer = this.node.createTimer(secondsToNanos(this.config.diagnostics_period_s), () => this.#publishDiagnostics());
  }

  #publishDiagnostics(): void {
    this.#probeEndpoint();
    const now = this.node.now().nanoseconds;
    const counts = this.#counts();
    const age = this.#lastMemoryAt === null ? null : nanosToSeconds(now - this.#lastMemoryAt);
    const problems: string[] = [];
    if (this.#endpoint === false) problems.push('memorizer endpoint unreachable');
    if (counts.dropped > 0) problems.push(`${counts.dropped} segments dropped`);
    const inputs = { ...this.#retiredDrops };
    for (const [cause, n] of Object.entries(this.#pipeline.dropped)) inputs[cause] = (inputs[cause] ?? 0) + n;
    const rejected = Object.values(inputs).reduce((a, b) => a + b, 0);
    if (rejected > 0) problems.push(`${rejected} input messages dropped or rejected`);
    if (this.#causes.get('pipeline_stopped') > 0) problems.push('pipeline stopped');
    const values: Record<string, string> = {
      endpoint_reachable: this.#endpoint === null ? 'not configured' : this.#endpoint === undefined ? 'checking' : String(this.#endpoint),
      queue_depth: String(this.#pipeline.pending),
      dropped_segments: String(counts.dropped),
      stored_memories: String(counts.stored),
      failed_segments: String(counts.failed),
      last_memory_age_s: age === null ? 'none yet' : age.toFixed(1),
      episode: String(this.#pipeline.episode),
      ...Object.fromEntries(Object.entries(inputs).map(([cause, n]) => [`dropped_inputs.${cause}`, String(n)])),
      'focus.group': this.#focus.context()?.group ?? 'none',
      ...Object.fromEntries(Object.entries(this.#focusCost?.() ?? {}).map(([key, n]) => [`focus.${key}`, String(n)])),
    };
    this.#diagnostics.publish({
      header: { stamp: toRosTime(now), frame_id: '' },
      status: [
        {
          level:
            this.#endpoint === false || this.#causes.get('pipeline_stopped') > 0 ? DIAG.ERROR : problems.length > 0 ? DIAG.WARN : DIAG.OK,
          name: `taskmem: ${this.node.name()}`,
          message: problems.length > 0 ? problems.join('; ') : 'memorizing',
          hardware_id: this.config.robot_id,
          values: Object.entries(values).map(([key, value]) => ({ key, value })),
        },
      ],
    });
  }

  /** Refreshes the endpoint state in the background; the next diagnostics message reports it. */
  #probeEndpoint(): void {
    const probe = this.#assembly.probeEndpoint(this.config);
    if (probe === null) {
      this.#endpoint = null;
      return;
    }
    if (this.#probing) return;
    this.#probing = true;
    void probe
      .then(
        (reachable) => {
          if (reachable !== this.#endpoint)
            this.#logger[reachable ? 'info' : 'warn'](`taskmem: memorizer endpoint ${reachable ? 'reachable' : 'unreachable'}`);
          this.#endpoint = reachable;
        },
        () => (this.#endpoint = false),
      )
      .finally(() => (this.#probing = false));
  }
}

function lookup(config: Config, name: string): unknown {
  return name.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], config);
}

function uuidString(bytes: ArrayLike<number>): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return hex.length === 32
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : randomUUID();
}

function emptyAnswer(questionId: string, question: string, askedAt: bigint): Answer {
  return {
    questionId,
    question,
    askedAt,
    answer: '',
    abstained: true,
    confidence: 0,
    chosenIndex: -1,
    choice: null,
    evidence: [],
    answeredBy: '',
    retrieval: { mode: 'full-text', searches: [], considered: 0 },
    notes: [],
  };
}
