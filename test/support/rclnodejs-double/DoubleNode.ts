/**
 * rclnodejs 2.2.0's Node, for the methods taskmem calls (src/ros/Rclnodejs.ts `RosNode`), in behaviour:
 * names resolve in the namespace with `~` for the node and `-r` remaps applied; parameter overrides from
 * `--ros-args` replace declared defaults; setting a parameter validates (declared, not read-only, type and range)
 * before the on-set callbacks may veto it, then post-set callbacks run; `use_sim_time` is declared by the node
 * itself and, when true, the clock follows /clock (time 0 until the first message).
 */
import type * as rcl from 'rclnodejs';
import type { Logger, Publisher, RosNode, RosTime, SetParametersResult, Subscription, Timer } from '../../../src/ros/Rclnodejs.js';
import { Parameter, ParameterDescriptor, ParameterTypeValue } from './parameters.js';
import { parameterTypeOf, type RosArgs } from './rosArgs.js';
import type { QosSettings, RosGraph } from './RosGraph.js';
import { QoS } from './QoS.js';

/** What a node needs from the module that made it (one simulated process). */
export interface DoubleContext {
  graph: RosGraph;
  args: RosArgs;
  initialized: boolean;
  nodes: Set<DoubleNode>;
}

export class DoubleNode implements RosNode {
  readonly graph: RosGraph;
  readonly #context: DoubleContext;
  readonly #name: string;
  readonly #namespace: string;
  readonly #params = new Map<string, rcl.Parameter>();
  readonly #descriptors = new Map<string, rcl.ParameterDescriptor>();
  readonly #overrides = new Map<string, rcl.Parameter>();
  readonly #onSet: ((parameters: rcl.Parameter[]) => SetParametersResult)[] = [];
  readonly #postSet: ((parameters: rcl.Parameter[]) => void)[] = [];
  readonly #disposers: (() => void)[] = [];
  #simTime: bigint | null = null;
  #clockSubscription: (() => void) | null = null;
  #spinning = false;

  constructor(context: DoubleContext, nodeName: string, namespace = '') {
    if (!context.initialized) throw new Error('rclnodejs: the context is not initialized; call init() first');
    this.#context = context;
    this.graph = context.graph;
    const rename = (special: string) => context.args.remaps.find((r) => r.from === special && (r.node === null || r.node === nodeName))?.to;
    this.#name = rename('__node') ?? nodeName;
    const ns = rename('__ns') ?? namespace;
    this.#namespace = ns === '' ? '/' : ns.startsWith('/') ? ns : `/${ns}`;
    for (const key of ['/**', this.#name]) {
      for (const [name, value] of context.args.params.get(key) ?? []) {
        this.#overrides.set(name, new Parameter(name, parameterTypeOf(value), value));
      }
    }
    context.nodes.add(this);
    this.graph.addParameterEndpoint(this.fullyQualifiedName(), {
      set: (name, value) => {
        const [result] = this.setParameters([new Parameter(name, parameterTypeOf(value), value)]);
        return result!;
      },
      get: (name) => this.getParameter(name).value as unknown,
    });
    this.#disposers.push(() => this.graph.removeParameterEndpoint(this.fullyQualifiedName()));
    this.#serveParameters();
    this.declareParameter(new Parameter('use_sim_time', ParameterTypeValue.BOOL, false));
    this.#setSimTime(this.getParameter('use_sim_time').value as boolean);
    this.addOnSetParametersCallback((parameters) => {
      const useSimTime = parameters.find((p) => p.name === 'use_sim_time');
      if (useSimTime) this.#setSimTime(useSimTime.value as boolean);
      return { successful: true, reason: '' };
    });
  }

  name(): string {
    return this.#name;
  }

  namespace(): string {
    return this.#namespace;
  }

  fullyQualifiedName(): string {
    return this.#namespace === '/' ? `/${this.#name}` : `${this.#namespace}/${this.#name}`;
  }

  /** Expands a topic, service or action name and applies the remap rules, as rcl_node_resolve_name does. */
  resolveName(name: string): string {
    const expanded = this.#expand(name);
    for (const rule of this.#context.args.remaps) {
      if (rule.from.startsWith('__') || (rule.node !== null && rule.node !== this.#name)) continue;
      if (this.#expand(rule.from) === expanded) return this.#expand(rule.to);
    }
    return expanded;
  }

  #expand(name: string): string {
    if (name === '~') return this.fullyQualifiedName();
    if (name.startsWith('~/')) return `${this.fullyQualifiedName()}/${name.slice(2)}`;
    if (name.startsWith('/')) return name;
    return this.#namespace === '/' ? `/${name}` : `${this.#namespace}/${name}`;
  }

  /** Registers cleanup to run when the node is destroyed. */
  own(dispose: () => void): void {
    this.#disposers.push(dispose);
  }

  getLogger(): Logger {
    const line = (level: 'debug' | 'info' | 'warn' | 'error') => (text: string) => {
      this.graph.log.push({ node: this.fullyQualifiedName(), level, text });
      return true;
    };
    return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  }

  now(): RosTime {
    return { nanoseconds: this.#simTime ?? BigInt(Date.now()) * 1_000_000n };
  }

  /** Returns at once, as rclnodejs's spin does: callbacks run on the event loop. */
  spin(): void {
    if (this.#spinning) throw new Error('rclnodejs: the node is already spinning');
    this.#spinning = true;
  }

  createTimer(period: bigint, callback: () => void): Timer {
    if (typeof period !== 'bigint') throw new TypeError('rclnodejs: createTimer period must be a bigint (nanoseconds)');
    let canceled = false;
    const interval = setInterval(callback, Number(period / 1_000_000n));
    const cancel = () => {
      canceled = true;
      clearInterval(interval);
    };
    this.#disposers.push(cancel);
    return { cancel, isCanceled: () => canceled };
  }

  createPublisher<T extends rcl.TypeClass<rcl.MessageTypeClassName>>(typeClass: T, topic: string, options?: rcl.Options): Publisher<T> {
    const name = this.resolveName(topic);
    const entry = this.graph.addPublisher(name, String(typeClass), qosSettings(options?.qos));
    this.#disposers.push(() => this.graph.removePublisher(name, entry));
    return { topic: name, publish: (message) => this.graph.publish(name, entry, message) };
  }

  /** Subscriptions on a topic in the whole graph, whatever their QoS, as rcl_count_subscribers counts them. */
  countSubscribers(topic: string): number {
    return this.graph.subscriptionCount(this.resolveName(topic));
  }

  createSubscription<T extends rcl.TypeClass<rcl.MessageTypeClassName>>(
    typeClass: T,
    topic: string,
    options: rcl.Options,
    callback: rcl.SubscriptionCallback<T>,
  ): Subscription {
    if (typeof callback !== 'function') throw new TypeError('rclnodejs: createSubscription options come before the callback');
    const name = this.resolveName(topic);
    const entry = this.graph.addSubscription(name, String(typeClass), qosSettings(options.qos), callback);
    this.#disposers.push(() => this.graph.removeSubscription(name, entry));
    return { topic: name };
  }

  createService<T extends rcl.TypeClass<rcl.ServiceTypeClassName>>(
    _typeClass: T,
    serviceName: string,
    _options: rcl.Options,
    callback: rcl.ServiceRequestHandler<T>,
  ): unknown {
    const name = this.resolveName(serviceName);
    // As lib/service.js: the handler may send() the response or return it (or a Promise of it).
    this.graph.addService(name, (request) => {
      return new Promise((resolve, reject) => {
        const response = { send: resolve };
        Promise.resolve((callback as (req: unknown, res: unknown) => unknown)(request, response)).then((returned) => {
          if (returned) resolve(returned);
        }, reject);
      });
    });
    this.#disposers.push(() => this.graph.removeService(name));
    return { serviceName: name };
  }

  declareParameter(parameter: rcl.Parameter, descriptor?: rcl.ParameterDescriptor, ignoreOverride = false): rcl.Parameter {
    const chosen = (!ignoreOverride && this.#overrides.get(parameter.name)) || parameter;
    if (this.#params.has(chosen.name)) throw new Error(`Parameter(${chosen.name}) already declared.`);
    const desc = descriptor ?? ParameterDescriptor.fromParameter(chosen);
    desc.validate();
    this.#descriptors.set(desc.name, desc);
    const result = this.#setAtomically([chosen], true);
    if (!result.successful) {
      this.#descriptors.delete(desc.name);
      throw new Error(result.reason);
    }
    return this.getParameter(chosen.name);
  }

  getParameter(name: string): rcl.Parameter {
    const parameter = this.#params.get(name);
    if (!parameter) throw new Error(`Parameter ${name} has not been declared`);
    return parameter;
  }

  getParameterOverrides(): rcl.Parameter[] {
    return [...this.#overrides.values()];
  }

  setParameters(parameters: rcl.Parameter[]): SetParametersResult[] {
    return parameters.map((p) => this.#setAtomically([p], false));
  }

  addOnSetParametersCallback(callback: (parameters: rcl.Parameter[]) => SetParametersResult): void {
    this.#onSet.unshift(callback);
  }

  addPostSetParametersCallback(callback: (parameters: rcl.Parameter[]) => void): void {
    this.#postSet.unshift(callback);
  }

  destroy(): void {
    for (const dispose of this.#disposers.splice(0).reverse()) dispose();
    this.#clockSubscription?.();
    this.#context.nodes.delete(this);
  }

  /**
   * rclnodejs's ParameterService (lib/parameter_service.js) for the calls `ros2 param get/set/describe` make:
   * values and descriptors as messages (an undeclared name gives a NOT_SET value), one result per parameter set.
   */
  #serveParameters(): void {
    const serve = (service: string, handler: (request: never) => unknown) => {
      const name = this.resolveName(`~/${service}`);
      this.graph.addService(name, async (request) => handler(request as never));
      this.#disposers.push(() => this.graph.removeService(name));
    };
    serve('get_parameters', (request: { names: string[] }) => ({
      values: request.names.map((n) => (this.#params.get(n) ?? new Parameter(n, ParameterTypeValue.NOT_SET)).toParameterValueMessage()),
    }));
    serve('set_parameters', (request: { parameters: rcl.rcl_interfaces.msg.Parameter[] }) => ({
      results: this.setParameters(request.parameters.map((p) => Parameter.fromParameterMessage(p))),
    }));
    serve('describe_parameters', (request: { names: string[] }) => ({
      descriptors: request.names.flatMap((n) => {
        const descriptor = this.#descriptors.get(n);
        return descriptor ? [descriptor.toMessage()] : [];
      }),
    }));
  }

  /** lib/node.js _setParametersAtomically, including its reasons word for word. */
  #setAtomically(parameters: rcl.Parameter[], declaring: boolean): SetParametersResult {
    for (const parameter of parameters) {
      const descriptor = this.#descriptors.get(parameter.name);
      if (!descriptor) return { successful: false, reason: `Parameter ${parameter.name} has not been declared` };
      if (!declaring && descriptor.readOnly) return { successful: false, reason: `Parameter ${parameter.name} is readonly` };
      try {
        descriptor.validateParameter(parameter);
      } catch {
        // rclnodejs 2.2.0 gives this (garbled) reason for a type or range violation.
        return { successful: false, reason: `Parameter ${parameter.name} does not  readonly` };
      }
    }
    for (const callback of this.#onSet) {
      const result = callback(parameters);
      if (!result.successful) return result;
    }
    for (const parameter of parameters) this.#params.set(parameter.name, parameter);
    for (const callback of this.#postSet) callback(parameters);
    return { successful: true, reason: '' };
  }

  #setSimTime(enabled: boolean): void {
    if (enabled === (this.#clockSubscription !== null)) return;
    if (!enabled) {
      this.#clockSubscription?.();
      this.#clockSubscription = null;
      this.#simTime = null;
      return;
    }
    this.#simTime = 0n;
    const entry = this.graph.addSubscription(
      '/clock',
      'rosgraph_msgs/msg/Clock',
      qosSettings(undefined),
      (msg: { clock: { sec: number; nanosec: number } }) => {
        this.#simTime = BigInt(msg.clock.sec) * 1_000_000_000n + BigInt(msg.clock.nanosec);
      },
    );
    this.#clockSubscription = () => this.graph.removeSubscription('/clock', entry);
  }
}

/** rmw's named profiles, and QoS objects, as the graph's matching settings. */
export function qosSettings(qos: rcl.QoS | string | undefined): QosSettings {
  if (qos instanceof QoS) return qos.settings();
  switch (qos ?? 'qos_profile_default') {
    case 'qos_profile_sensor_data':
      return { reliability: 'best_effort', durability: 'volatile', depth: 5 };
    case 'qos_profile_parameters':
      return { reliability: 'reliable', durability: 'volatile', depth: 1000 };
    case 'qos_profile_default':
    case 'qos_profile_system_default':
    case 'qos_profile_services_default':
      return { reliability: 'reliable', durability: 'volatile', depth: 10 };
    default:
      throw new Error(`rclnodejs: unknown QoS profile ${String(qos)}`);
  }
}
