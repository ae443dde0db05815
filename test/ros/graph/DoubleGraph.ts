/**
 * The scenarios' graph on the in-process rclnodejs double: the memory node started by MemoryNode.start as main.ts
 * starts it (its stages made from its parameters by src/assembly), the player (RecordingPlayer) and the test's own
 * node each a simulated process of their own on one RosGraph.
 */
import { openRecording } from '../../../src/bag/openRecording.js';
import { EXIT } from '../../../src/cli/exitCodes.js';
import { MemoryNode } from '../../../src/ros/MemoryNode.js';
import { RecordingPlayer } from '../../../src/ros/RecordingPlayer.js';
import { QoS, RclnodejsDouble, RosGraph, type DoubleNode } from '../../support/rclnodejs-double/index.js';
import {
  Inbox,
  waitFor,
  type GoalRun,
  type GraphBackend,
  type GraphNames,
  type MemoryNodeRun,
  type PlayOptions,
  type PlayRun,
  type QosName,
  type SubscribeOptions,
} from './GraphBackend.js';

const QOS = {
  sensor: 'qos_profile_sensor_data',
  reliable: 'qos_profile_default',
  latched: new QoS(
    QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    100,
    QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
    QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL,
  ),
} as const;

type AnyType = 'sensor_msgs/msg/Image';

export class DoubleGraph implements GraphBackend {
  readonly kind = 'double';
  readonly graph: RosGraph;
  readonly #tester: DoubleNode;
  readonly #publishers = new Map<string, { publish(message: object): void }>();
  readonly #nodes = new Set<MemoryNode>();
  readonly #players = new Set<PlayRun>();
  readonly #extraNodes = new Set<DoubleNode>();
  #late = 0;

  private constructor(graph: RosGraph, tester: DoubleNode) {
    this.graph = graph;
    this.#tester = tester;
  }

  static async create(): Promise<DoubleGraph> {
    const graph = new RosGraph();
    return new DoubleGraph(graph, await RclnodejsDouble.node(graph, 'taskmem_test_driver'));
  }

  async startNode(args: string[], fqn = '/taskmem'): Promise<MemoryNodeRun> {
    const process = new RclnodejsDouble(this.graph);
    const node = await MemoryNode.start({
      rclnodejs: process.rclnodejs,
      env: {},
      argv: ['node', 'main.js', '--ros-args', ...args],
    });
    this.#nodes.add(node);
    const from = this.graph.log.length;
    return {
      log: () =>
        this.graph.log
          .slice(Math.max(0, from - 50))
          .filter((l) => l.node === fqn)
          .map((l) => `[${l.level.toUpperCase()}] ${l.text}`),
      interrupt: async () => {
        this.#nodes.delete(node);
        await node.shutdown();
        return 0;
      },
    };
  }

  async subscribe<T>(topic: string, type: string, qos: QosName, options: SubscribeOptions = {}): Promise<Inbox<T>> {
    const node = options.newProcess ? await RclnodejsDouble.node(this.graph, `taskmem_test_subscriber_${++this.#late}`) : this.#tester;
    if (options.newProcess) this.#extraNodes.add(node);
    let open = true;
    const inbox = new Inbox<T>(async () => {
      open = false;
    });
    node.createSubscription(type as AnyType, topic, { qos: QOS[qos] }, (message) => {
      if (open) inbox.push(message as T);
    });
    return inbox;
  }

  async publish(topic: string, type: string, message: object, qos: QosName): Promise<void> {
    const key = `${topic} ${type} ${qos}`;
    let publisher = this.#publishers.get(key);
    if (!publisher) this.#publishers.set(key, (publisher = this.#tester.createPublisher(type as AnyType, topic, { qos: QOS[qos] })));
    publisher.publish(message);
  }

  waitForSubscribers(topic: string, count = 1): Promise<void> {
    return waitFor(() => this.graph.subscriptionCount(topic) >= count, `${count} subscriber(s) on ${topic}`);
  }

  waitForPublishers(topic: string, count = 1): Promise<void> {
    return waitFor(() => this.graph.publisherCount(topic) >= count, `${count} publisher(s) on ${topic}`);
  }

  call<R>(service: string, _type: string, request: object): Promise<R> {
    return this.graph.callService<R>(service, request);
  }

  async sendGoal(action: string, _type: string, goal: object): Promise<GoalRun> {
    const feedback: unknown[] = [];
    const client = this.graph.sendGoal(action, goal, (f) => feedback.push(f));
    return { accepted: client.accepted, feedback, result: client.result, cancel: () => client.cancel() };
  }

  async play(recording: string, options: PlayOptions): Promise<PlayRun> {
    const process = new RclnodejsDouble(this.graph);
    await process.rclnodejs.init(undefined, ['node', 'taskmem-play', '--ros-args', ...(options.remaps ?? []).flatMap((r) => ['-r', r])]);
    const node = new process.rclnodejs.Node('taskmem_play');
    const opened = await openRecording(recording);
    const stop = new AbortController();
    const player = new RecordingPlayer(process.rclnodejs, node, opened, {
      topics: options.topics,
      rate: options.rate ?? 1,
      loop: options.loop ?? false,
      clockHz: options.clock ? 40 : 0,
      waitForSubscribers: true,
      signal: stop.signal,
    });
    const done = player
      .play()
      // The exit code `taskmem play` gives the same ending.
      .then((result) => (result.stopped ? EXIT.interrupted : EXIT.ok))
      .finally(async () => {
        await opened.close();
        process.rclnodejs.shutdown();
      });
    const run: PlayRun = {
      done,
      stop: () => {
        stop.abort();
        return done;
      },
    };
    this.#players.add(run);
    return run;
  }

  async names(): Promise<GraphNames> {
    return {
      nodes: this.graph.nodeNames(),
      topics: this.graph.topicNames(),
      services: this.graph.serviceNames(),
      actions: this.graph.actionNames(),
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#players].map((p) => p.stop()));
    await Promise.all([...this.#nodes].map((n) => n.shutdown()));
    for (const node of [this.#tester, ...this.#extraNodes]) node.destroy();
  }
}
