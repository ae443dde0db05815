/**
 * The scenarios' graph on real ROS 2: separate processes talking over DDS (Cyclone DDS on loopback, the test
 * run's own ROS_DOMAIN_ID). The memory node is started as a user starts it, `ros2 run taskmem memory_node
 * --ros-args …` from the workspace the README built; recordings are played with `ros2 run taskmem taskmem play`;
 * subscriptions, publications, service calls and action goals come from a driver process (driver.ts) with its
 * own rclnodejs node. Ctrl-C is a SIGINT to a process's group, as a terminal sends it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../../scripts/generate-ros-types.js';
import type { RosWorkspace } from '../real/rosWorkspace.js';
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
import { decode, encode, type DriverLine } from './wire.js';

/** A process of the test run, in its own process group, with what it printed. */
export class RosProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  #code: number | null | undefined;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; stdin?: boolean } = {}) {
    this.#child = spawn(command, args, {
      env,
      cwd: options.cwd ?? env['HOME'],
      detached: true,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const collect = (stream: NodeJS.ReadableStream | null) => {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
    };
    if (!options.stdin) collect(this.#child.stdout);
    collect(this.#child.stderr);
    this.exited = new Promise((resolve) => {
      this.#child.on('error', (error) => {
        this.lines.push(`spawn error: ${error.message}`);
        this.#code = null;
        resolve(null);
      });
      this.#child.on('exit', (code, signal) => {
        this.#code = code ?? (signal ? -1 : null);
        resolve(this.#code);
      });
    });
  }

  get child(): ChildProcess {
    return this.#child;
  }

  get running(): boolean {
    return this.#code === undefined;
  }

  /** Sends `signal` to the whole process group (the terminal's Ctrl-C is SIGINT to the group). */
  signal(signal: NodeJS.Signals): void {
    if (!this.running || this.#child.pid === undefined) return;
    try {
      process.kill(-this.#child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGINT, then SIGKILL after `graceMs` if it is still running; resolves with the exit code. */
  async stop(graceMs = 20_000): Promise<number | null> {
    this.signal('SIGINT');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  text(): string {
    return this.lines.join('\n');
  }

  /**
   * Waits for the memory node `fqn` (`/robot1/taskmem`; a pattern, `.*` for any) to say it started: up to two
   * minutes, as it loads its models first. Throws with what the process printed if it exits before.
   */
  async memoryNodeStarted(fqn: string): Promise<void> {
    const started = new RegExp(`memory node ${fqn} started`);
    await waitFor(() => !this.running || this.lines.some((l) => started.test(l)), `the memory node ${fqn} to start`, 120_000);
    if (!this.running) throw new Error(`the memory node exited (${await this.exited}) at start:\n${this.text()}`);
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** One driver process (driver.ts): a node of its own on the graph, answering requests over its stdio. */
class Driver {
  readonly process: RosProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #inboxes = new Map<number, Inbox<unknown>>();
  readonly #goals = new Map<number, { feedback: unknown[]; settle: (r: { status: number; result: unknown }) => void }>();
  /**
   * Events for a subscription or goal the tests have not registered yet: the driver's answer to `subscribe` or
   * `sendGoal` and the first messages or feedback can arrive in one read, before the answer's promise resolves.
   */
  readonly #early = new Map<string, DriverLine[]>();
  #nextRequest = 0;

  constructor(ws: RosWorkspace) {
    this.process = new RosProcess(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'test/ros/graph/driver.ts')],
      { ...ws.env, TASKMEM_SHARE: ws.share },
      { cwd: repoRoot, stdin: true },
    );
    createInterface({ input: this.process.child.stdout! }).on('line', (text) => this.#receive(decode(text) as DriverLine));
    void this.process.exited.then((code) => {
      for (const { reject } of this.#pending.values())
        reject(new Error(`the driver process ended (exit ${code}):\n${this.process.text()}`));
      this.#pending.clear();
    });
  }

  request(op: string, args: Record<string, unknown>): Promise<unknown> {
    const id = ++this.#nextRequest;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.process.child.stdin!.write(`${encode({ id, op, args })}\n`);
    });
  }

  async close(): Promise<void> {
    this.process.child.stdin!.end();
    const timer = setTimeout(() => this.process.signal('SIGKILL'), 20_000);
    await this.process.exited;
    clearTimeout(timer);
  }

  /** Registers an inbox for subscription `sub`, with what came for it before. */
  addInbox(sub: number, inbox: Inbox<unknown>): void {
    this.#inboxes.set(sub, inbox);
    this.#flush(`sub ${sub}`);
  }

  removeInbox(sub: number): void {
    this.#inboxes.delete(sub);
  }

  /** Registers goal `goal`'s feedback list and end, with what came for it before. */
  addGoal(goal: number, handlers: { feedback: unknown[]; settle: (r: { status: number; result: unknown }) => void }): void {
    this.#goals.set(goal, handlers);
    this.#flush(`goal ${goal}`);
  }

  #flush(key: string): void {
    const early = this.#early.get(key) ?? [];
    this.#early.delete(key);
    for (const line of early) this.#receive(line);
  }

  #receive(line: DriverLine): void {
    if ('event' in line) {
      const key = line.event === 'message' ? `sub ${line.sub}` : `goal ${line.goal}`;
      const inbox = line.event === 'message' ? this.#inboxes.get(line.sub) : undefined;
      const goal = line.event === 'message' ? undefined : this.#goals.get(line.goal);
      if (!inbox && !goal) this.#early.set(key, [...(this.#early.get(key) ?? []), line]);
      else if (line.event === 'message') inbox!.push(line.message);
      else if (line.event === 'feedback') goal!.feedback.push(line.feedback);
      else goal!.settle({ status: line.status, result: line.result });
      return;
    }
    const pending = this.#pending.get(line.id);
    this.#pending.delete(line.id);
    if (line.ok) pending?.resolve(line.result);
    else pending?.reject(new Error(line.error));
  }
}

export class RealGraph implements GraphBackend {
  readonly kind = 'real';
  readonly #ws: RosWorkspace;
  /** The first is the test's own node; others join for a subscription from a new process. */
  readonly #drivers: Driver[] = [];
  readonly #processes = new Set<RosProcess>();

  private constructor(ws: RosWorkspace) {
    this.#ws = ws;
  }

  /** A graph with its driver process ready. */
  static async create(ws: RosWorkspace): Promise<RealGraph> {
    const graph = new RealGraph(ws);
    await graph.#driver(0);
    return graph;
  }

  /** What the processes of this graph printed, for a failed test's report. */
  transcript(): string {
    return [...this.#processes, ...this.#drivers.map((d) => d.process)]
      .map((p) => `--- ${p.child.spawnargs.slice(0, 4).join(' ')}\n${p.text()}`)
      .join('\n');
  }

  async startNode(args: string[], fqn = '/taskmem'): Promise<MemoryNodeRun> {
    const node = this.#spawn('ros2', ['run', 'taskmem', 'memory_node', '--ros-args', ...args]);
    await node.memoryNodeStarted('.*');
    await waitFor(async () => (await this.names()).services.includes(`${fqn}/recall`), `${fqn}/recall in the graph`);
    return { log: () => [...node.lines], interrupt: () => node.stop() };
  }

  async subscribe<T>(topic: string, type: string, qos: QosName, options: SubscribeOptions = {}): Promise<Inbox<T>> {
    const driver = await this.#driver(options.newProcess ? this.#drivers.length : 0);
    const sub = (await driver.request('subscribe', { topic, type, qos })) as number;
    const inbox = new Inbox<T>(async () => {
      driver.removeInbox(sub);
      await driver.request('unsubscribe', { sub });
    });
    driver.addInbox(sub, inbox);
    return inbox;
  }

  async publish(topic: string, type: string, message: object, qos: QosName): Promise<void> {
    await this.#request('publish', { topic, type, message, qos });
  }

  waitForSubscribers(topic: string, count = 1): Promise<void> {
    return waitFor(
      async () => ((await this.#request('count', { topic })) as { subscribers: number }).subscribers >= count,
      `${count} subscriber(s) on ${topic}`,
    );
  }

  waitForPublishers(topic: string, count = 1): Promise<void> {
    return waitFor(
      async () => ((await this.#request('count', { topic })) as { publishers: number }).publishers >= count,
      `${count} publisher(s) on ${topic}`,
    );
  }

  async call<R>(service: string, type: string, request: object): Promise<R> {
    return (await this.#request('call', { service, type, request, timeoutMs: 60_000 })) as R;
  }

  async sendGoal(action: string, type: string, goal: object): Promise<GoalRun> {
    const driver = await this.#driver(0);
    const sent = (await driver.request('sendGoal', { action, type, goal, timeoutMs: 60_000 })) as { goal: number; accepted: boolean };
    const feedback: unknown[] = [];
    const result = new Promise<{ status: number; result: unknown }>((settle) => driver.addGoal(sent.goal, { feedback, settle }));
    return {
      accepted: sent.accepted,
      feedback,
      result: sent.accepted ? result : Promise.reject(new Error('goal was rejected')),
      cancel: async () => ((await driver.request('cancel', { goal: sent.goal })) as { accepted: boolean }).accepted,
    };
  }

  async play(recording: string, options: PlayOptions): Promise<PlayRun> {
    const player = this.#spawn('ros2', [
      'run',
      'taskmem',
      'taskmem',
      'play',
      recording,
      '--wait-for-subscribers',
      '--topics',
      options.topics.join(','),
      '--rate',
      String(options.rate ?? 1),
      ...(options.clock ? ['--clock'] : []),
      ...(options.loop ? ['--loop'] : []),
      ...(options.remaps ?? []).flatMap((r) => ['--remap', r]),
    ]);
    return { done: player.exited, stop: () => player.stop() };
  }

  async names(): Promise<GraphNames> {
    return (await this.#request('names', {})) as GraphNames;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#processes].map((p) => p.stop()));
    await Promise.all(this.#drivers.map((d) => d.close()));
  }

  #spawn(command: string, args: string[]): RosProcess {
    const child = new RosProcess(command, args, this.#ws.env);
    this.#processes.add(child);
    return child;
  }

  /** A request to the test's own node. */
  async #request(op: string, args: Record<string, unknown>): Promise<unknown> {
    return (await this.#driver(0)).request(op, args);
  }

  /** Driver `index`, started (and answering) when it is a new one. */
  async #driver(index: number): Promise<Driver> {
    if (index < this.#drivers.length) return this.#drivers[index]!;
    const driver = new Driver(this.#ws);
    this.#drivers.push(driver);
    await driver.request('names', {});
    return driver;
  }
}
