/**
 * A ROS 2 graph with the memory node in it, as the scenarios (test/ros/MemoryNodeScenarios.test.ts) see it: the
 * same scenario runs on the in-process rclnodejs double (DoubleGraph) and on a real graph of separate processes
 * over DDS (RealGraph), so that the double is held to what real ROS does. Everything a scenario does goes
 * through here: starting and interrupting the node, playing a recording into it, subscribing, publishing,
 * calling services and sending action goals, as other nodes and the `ros2` commands would.
 */

/** QoS a test endpoint asks for: sensor data (best effort, keep last 5), reliable (keep last 10), or latched
 * (reliable, transient local, keep last 100: what a subscriber that wants the history of ~/memories asks). */
export type QosName = 'sensor' | 'reliable' | 'latched';

/** Messages received on a subscription, in arrival order. */
export class Inbox<T> {
  readonly messages: T[] = [];
  readonly #close: () => Promise<void>;

  constructor(close: () => Promise<void>) {
    this.#close = close;
  }

  push(message: T): void {
    this.messages.push(message);
  }

  /** Waits until `predicate` holds for the messages so far; fails with `what` after `timeoutMs`. */
  async until(predicate: (messages: T[]) => boolean, what: string | (() => string), timeoutMs = 60_000): Promise<T[]> {
    await waitFor(() => predicate(this.messages), what, timeoutMs);
    return this.messages;
  }

  close(): Promise<void> {
    return this.#close();
  }
}

/** An action goal as a client sees it. */
export interface GoalRun {
  accepted: boolean;
  /** Feedback received so far. */
  feedback: unknown[];
  /** The goal's end: action_msgs/GoalStatus status and the result. */
  result: Promise<{ status: number; result: unknown }>;
  /** Requests cancellation; true when the server accepted the request. */
  cancel(): Promise<boolean>;
}

/** One run of the memory node. */
export interface MemoryNodeRun {
  /** What the node logged so far, one line per entry. */
  log(): string[];
  /**
   * Ctrl-C: SIGINT to the node's process group (real), MemoryNode.shutdown() as main.ts calls it (double).
   * Resolves when the run has ended, with its exit code (0 for the double when the shutdown succeeded).
   */
  interrupt(): Promise<number | null>;
}

/** A recording being played into the graph (`taskmem play`). */
export interface PlayRun {
  /** Resolves when playback ends (the end of the recording, or stop()), with the player's exit code. */
  done: Promise<number | null>;
  stop(): Promise<number | null>;
}

export interface PlayOptions {
  /** Recorded topics to publish; the player starts when each has a subscriber. */
  topics: string[];
  rate?: number;
  clock?: boolean;
  loop?: boolean;
  /** `from:=to` rules for recorded topics. */
  remaps?: string[];
}

export interface SubscribeOptions {
  /**
   * Subscribe from a node in a process of its own that joins the graph now, as a late subscriber (`ros2 topic
   * echo` started later) does; otherwise from the test's one node.
   */
  newProcess?: boolean;
}

export interface GraphNames {
  nodes: string[];
  topics: string[];
  services: string[];
  actions: string[];
}

export interface GraphBackend {
  readonly kind: 'double' | 'real';
  /**
   * Starts the memory node as `ros2 run taskmem memory_node --ros-args <args>` does and waits until it serves
   * `<fqn>/recall`. `fqn` is where the node will be (`/taskmem`, `/robot1/taskmem`).
   */
  startNode(args: string[], fqn?: string): Promise<MemoryNodeRun>;
  subscribe<T>(topic: string, type: string, qos: QosName, options?: SubscribeOptions): Promise<Inbox<T>>;
  publish(topic: string, type: string, message: object, qos: QosName): Promise<void>;
  /** Waits until `topic` has at least `count` subscriptions in the graph (discovery). */
  waitForSubscribers(topic: string, count?: number): Promise<void>;
  /** Waits until `topic` has at least `count` publishers in the graph (discovery). */
  waitForPublishers(topic: string, count?: number): Promise<void>;
  call<R>(service: string, type: string, request: object): Promise<R>;
  sendGoal(action: string, type: string, goal: object): Promise<GoalRun>;
  play(recording: string, options: PlayOptions): Promise<PlayRun>;
  names(): Promise<GraphNames>;
  close(): Promise<void>;
}

/** Polls `predicate` until it holds; fails with `what` (evaluated then, when a function) after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
