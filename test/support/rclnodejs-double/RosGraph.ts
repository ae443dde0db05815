/**
 * The ROS graph the double's nodes live in: topics with QoS matching, services, action servers and the log.
 * Several double modules (one per simulated process) can share one graph, so a test publishes into the node
 * under test as another node would. Delivery is asynchronous, one message per subscription per turn of the event
 * loop, as rclnodejs's executor takes them, and each subscription keeps at most its QoS depth of undelivered
 * messages.
 */
import type { ActionEndpoint } from './ActionServer.js';
import { parseParamValue } from './rosArgs.js';

export type Reliability = 'reliable' | 'best_effort';
export type Durability = 'volatile' | 'transient_local';

export interface QosSettings {
  reliability: Reliability;
  durability: Durability;
  /** Keep-last depth; Infinity for keep-all. */
  depth: number;
}

export interface LogLine {
  node: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  text: string;
}

interface PublisherEntry {
  type: string;
  qos: QosSettings;
  /** What a transient-local publisher keeps for late joiners. */
  history: unknown[];
}

interface SubscriptionEntry {
  type: string;
  qos: QosSettings;
  queue: unknown[];
  callback: (message: never) => void;
  /** Creation order: rclnodejs's executor visits ready subscriptions in the order they were created. */
  order: number;
}

type ServiceHandler = (request: unknown) => Promise<unknown>;

/** What a node's parameter services offer to `ros2 param`. */
export interface ParameterEndpoint {
  set(name: string, value: unknown): { successful: boolean; reason: string };
  get(name: string): unknown;
}

export class RosGraph {
  readonly log: LogLine[] = [];
  readonly #topics = new Map<string, { publishers: Set<PublisherEntry>; subscriptions: Set<SubscriptionEntry> }>();
  readonly #services = new Map<string, ServiceHandler>();
  readonly #actions = new Map<string, ActionEndpoint>();
  readonly #parameters = new Map<string, ParameterEndpoint>();
  /** Subscriptions with messages waiting. */
  readonly #ready = new Set<SubscriptionEntry>();
  #turnScheduled = false;
  #created = 0;

  #topic(name: string) {
    let topic = this.#topics.get(name);
    if (!topic) this.#topics.set(name, (topic = { publishers: new Set(), subscriptions: new Set() }));
    return topic;
  }

  addPublisher(topic: string, type: string, qos: QosSettings): PublisherEntry {
    const entry: PublisherEntry = { type, qos, history: [] };
    this.#checkType(topic, type);
    this.#topic(topic).publishers.add(entry);
    for (const sub of this.#topic(topic).subscriptions) this.#catchUp(entry, sub);
    return entry;
  }

  removePublisher(topic: string, entry: PublisherEntry): void {
    this.#topics.get(topic)?.publishers.delete(entry);
  }

  addSubscription(topic: string, type: string, qos: QosSettings, callback: (message: never) => void): SubscriptionEntry {
    this.#checkType(topic, type);
    const entry: SubscriptionEntry = { type, qos, queue: [], callback, order: ++this.#created };
    this.#topic(topic).subscriptions.add(entry);
    for (const pub of this.#topic(topic).publishers) this.#catchUp(pub, entry);
    return entry;
  }

  removeSubscription(topic: string, entry: SubscriptionEntry): void {
    this.#topics.get(topic)?.subscriptions.delete(entry);
    this.#ready.delete(entry);
  }

  publish(topic: string, publisher: PublisherEntry, message: unknown): void {
    const copy = structuredClone(asSerialized(message));
    if (publisher.qos.durability === 'transient_local') {
      publisher.history.push(copy);
      if (publisher.history.length > publisher.qos.depth) publisher.history.shift();
    }
    for (const sub of this.#topic(topic).subscriptions) {
      if (matches(publisher.qos, sub.qos)) this.#enqueue(sub, copy);
    }
  }

  subscriptionCount(topic: string): number {
    return this.#topics.get(topic)?.subscriptions.size ?? 0;
  }

  publisherCount(topic: string): number {
    return this.#topics.get(topic)?.publishers.size ?? 0;
  }

  /** Fully qualified names of the nodes alive in the graph. */
  nodeNames(): string[] {
    return [...this.#parameters.keys()].sort();
  }

  /** Topic names with at least one publisher or subscription. */
  topicNames(): string[] {
    return [...this.#topics]
      .filter(([, t]) => t.publishers.size + t.subscriptions.size > 0)
      .map(([name]) => name)
      .sort();
  }

  addService(name: string, handler: ServiceHandler): void {
    if (this.#services.has(name)) throw new Error(`rcl: service ${name} already exists in this graph`);
    this.#services.set(name, handler);
  }

  removeService(name: string): void {
    this.#services.delete(name);
  }

  /** Calls a service as `ros2 service call` would; rejects when no server offers it. */
  async callService<R = unknown>(name: string, request: unknown): Promise<R> {
    const handler = this.#services.get(name);
    if (!handler) throw new Error(`service ${name} is not available`);
    return structuredClone(await handler(structuredClone(request))) as R;
  }

  serviceNames(): string[] {
    return [...this.#services.keys()].sort();
  }

  addAction(name: string, endpoint: ActionEndpoint): void {
    if (this.#actions.has(name)) throw new Error(`rcl: action server ${name} already exists in this graph`);
    this.#actions.set(name, endpoint);
  }

  removeAction(name: string): void {
    this.#actions.delete(name);
  }

  /** Sends a goal as an action client (`ros2 action send_goal`) would. */
  sendGoal(name: string, goal: object, onFeedback?: (feedback: unknown) => void) {
    const endpoint = this.#actions.get(name);
    if (!endpoint) throw new Error(`action server ${name} is not available`);
    return endpoint.sendGoal(structuredClone(goal), onFeedback);
  }

  actionNames(): string[] {
    return [...this.#actions.keys()].sort();
  }

  addParameterEndpoint(nodeFqn: string, endpoint: ParameterEndpoint): void {
    this.#parameters.set(nodeFqn, endpoint);
  }

  removeParameterEndpoint(nodeFqn: string): void {
    this.#parameters.delete(nodeFqn);
  }

  /** `ros2 param set <node> <name> <value>`: the value text is typed by YAML as the CLI types it. */
  paramSet(nodeFqn: string, name: string, valueText: string): { successful: boolean; reason: string } {
    return this.#parameterEndpoint(nodeFqn).set(name, parseParamValue(valueText));
  }

  /** `ros2 param get <node> <name>`. */
  paramGet(nodeFqn: string, name: string): unknown {
    return this.#parameterEndpoint(nodeFqn).get(name);
  }

  #parameterEndpoint(nodeFqn: string): ParameterEndpoint {
    const endpoint = this.#parameters.get(nodeFqn);
    if (!endpoint) throw new Error(`node ${nodeFqn} not found (nodes: ${[...this.#parameters.keys()].join(', ')})`);
    return endpoint;
  }

  #checkType(topic: string, type: string): void {
    const t = this.#topics.get(topic);
    const other = t && [...t.publishers, ...t.subscriptions].find((e) => e.type !== type);
    // Real DDS does not match endpoints of different types; failing loudly catches a wrong type at once.
    if (other) throw new Error(`topic ${topic} has type ${other.type}, not ${type}`);
  }

  #catchUp(pub: PublisherEntry, sub: SubscriptionEntry): void {
    if (sub.qos.durability !== 'transient_local' || !matches(pub.qos, sub.qos)) return;
    for (const message of pub.history) this.#enqueue(sub, message);
  }

  #enqueue(sub: SubscriptionEntry, message: unknown): void {
    sub.queue.push(structuredClone(message));
    // Keep last: the oldest undelivered message is overwritten.
    if (sub.queue.length > sub.qos.depth) sub.queue.shift();
    this.#ready.add(sub);
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    setImmediate(() => this.#turn());
  }

  /**
   * One turn of rclnodejs's executor: every subscription with a message waiting gets its oldest one, in the order
   * the subscriptions were created (not the order the messages came), then the event loop runs again. A backlog
   * on one topic is thus taken in step with the others, never all at once ahead of them.
   */
  #turn(): void {
    this.#turnScheduled = false;
    for (const sub of [...this.#ready].sort((a, b) => a.order - b.order)) {
      const message = sub.queue.shift();
      if (sub.queue.length === 0) this.#ready.delete(sub);
      if (message !== undefined) sub.callback(message as never);
    }
    if (this.#ready.size > 0 && !this.#turnScheduled) {
      this.#turnScheduled = true;
      setImmediate(() => this.#turn());
    }
  }
}

/**
 * DDS request/offer matching: a reliable subscription does not match a best-effort publisher, and a
 * transient-local subscription does not match a volatile publisher; every other pairing matches.
 */
export function matches(pub: QosSettings, sub: QosSettings): boolean {
  if (sub.reliability === 'reliable' && pub.reliability === 'best_effort') return false;
  if (sub.durability === 'transient_local' && pub.durability === 'volatile') return false;
  return true;
}

/**
 * What a subscriber receives of a published message, as rclnodejs 2.2.0 serializes it: a typed array (a `uint8[]`
 * field given as a Uint8Array, …) is sent as its length's worth of elements from the start of its underlying
 * ArrayBuffer (the generated array wrappers do `Buffer.from(new Uint8Array(array.buffer))`), so a view into a
 * larger buffer sends the wrong bytes.
 */
export function asSerialized(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const typed = value as unknown as {
      constructor: new (buffer: ArrayBuffer, offset: number, length: number) => unknown;
      buffer: ArrayBuffer;
      length: number;
    };
    return new typed.constructor(typed.buffer, 0, typed.length);
  }
  if (Array.isArray(value)) return value.map(asSerialized);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asSerialized(v)]));
  return value;
}
