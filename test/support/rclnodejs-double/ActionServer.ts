/**
 * rclnodejs 2.2.0's ActionServer and ServerGoalHandle in behaviour (lib/action/server.js, server_goal_handle.js
 * and rcl_action's goal state machine): the goal callback's result must be exactly ACCEPT (a Promise rejects the
 * goal); the default cancel callback rejects; an accepted cancel moves the goal to CANCELING, after which
 * feedback is dropped with a warning; `execute` must end in succeed(), abort() or canceled(), and a goal left
 * active is aborted; a transition the state machine does not allow throws.
 */
import type * as rcl from 'rclnodejs';
import type { ActionServerCtor, GoalHandle, RosNode } from '../../../src/ros/Rclnodejs.js';
import type { DoubleNode } from './DoubleNode.js';

export const GoalResponse = { REJECT: 1, ACCEPT: 2 } as const;
export const CancelResponse = { REJECT: 1, ACCEPT: 2 } as const;

/** action_msgs/msg/GoalStatus values. */
export const GoalStatus = { ACCEPTED: 1, EXECUTING: 2, CANCELING: 3, SUCCEEDED: 4, CANCELED: 5, ABORTED: 6 } as const;
type Status = (typeof GoalStatus)[keyof typeof GoalStatus];
type GoalEvent = 'execute' | 'cancel_goal' | 'succeed' | 'abort' | 'canceled';

const TRANSITIONS: Record<number, Partial<Record<GoalEvent, Status>>> = {
  [GoalStatus.ACCEPTED]: { execute: GoalStatus.EXECUTING, cancel_goal: GoalStatus.CANCELING },
  [GoalStatus.EXECUTING]: { cancel_goal: GoalStatus.CANCELING, succeed: GoalStatus.SUCCEEDED, abort: GoalStatus.ABORTED },
  [GoalStatus.CANCELING]: { succeed: GoalStatus.SUCCEEDED, abort: GoalStatus.ABORTED, canceled: GoalStatus.CANCELED },
};

/** What an action client gets back from `RosGraph.sendGoal`. */
export interface ClientGoal {
  accepted: boolean;
  /** Resolves when the goal ends, with its terminal status and result. */
  result: Promise<{ status: number; result: unknown }>;
  /** Requests cancellation; true when the server accepted the request. */
  cancel(): Promise<boolean>;
}

export interface ActionEndpoint {
  sendGoal(goal: object, onFeedback?: (feedback: unknown) => void): ClientGoal;
}

let nextGoal = 0;

class ServerGoalHandle implements GoalHandle<rcl.ActionTypeClassName> {
  readonly #server: ActionServer;
  readonly #request: object;
  readonly #id: { uuid: Uint8Array };
  readonly #onFeedback: ((feedback: unknown) => void) | undefined;
  #status: Status = GoalStatus.ACCEPTED;
  readonly done: Promise<{ status: number; result: unknown }>;
  settle!: (value: { status: number; result: unknown }) => void;

  constructor(server: ActionServer, request: object, onFeedback?: (feedback: unknown) => void) {
    this.#server = server;
    this.#request = request;
    const uuid = new Uint8Array(16);
    new DataView(uuid.buffer).setUint32(12, ++nextGoal);
    this.#id = { uuid };
    this.#onFeedback = onFeedback;
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get request(): any {
    return this.#request;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get goalId(): any {
    return this.#id;
  }

  get status(): number {
    return this.#status;
  }

  get isActive(): boolean {
    return this.#status <= GoalStatus.CANCELING;
  }

  get isCancelRequested(): boolean {
    return this.#status === GoalStatus.CANCELING;
  }

  execute(): void {
    if (this.#status === GoalStatus.EXECUTING || !this.isActive) return;
    if (!this.isCancelRequested) this.update('execute');
    void this.#server.run(this);
  }

  publishFeedback(feedback: object): void {
    if (this.#status !== GoalStatus.EXECUTING) {
      this.#server.node.getLogger().warn(`publishFeedback() called on goal in status ${this.#status}, not executing; ignoring`);
      return;
    }
    const copy = structuredClone(feedback);
    setImmediate(() => this.#onFeedback?.(copy));
  }

  succeed(): void {
    this.update('succeed');
  }

  abort(): void {
    this.update('abort');
  }

  canceled(): void {
    this.update('canceled');
  }

  update(event: GoalEvent): void {
    const next = TRANSITIONS[this.#status]?.[event];
    if (next === undefined) throw new Error(`goal_handle attempted invalid transition from state ${this.#status} with event ${event}`);
    this.#status = next;
  }
}

type AnyCallback = (...args: never[]) => unknown;

export class ActionServer {
  readonly node: DoubleNode;
  readonly #name: string;
  readonly #execute: (goalHandle: ServerGoalHandle) => unknown;
  readonly #goalCallback: (goal: object) => unknown;
  readonly #handleAccepted: (goalHandle: ServerGoalHandle) => void;
  readonly #cancelCallback: (goalHandle: ServerGoalHandle) => unknown;

  constructor(
    node: RosNode,
    _typeClass: unknown,
    actionName: string,
    executeCallback: AnyCallback,
    goalCallback?: AnyCallback,
    handleAcceptedCallback?: AnyCallback,
    cancelCallback?: AnyCallback,
  ) {
    this.node = node as DoubleNode;
    this.#name = this.node.resolveName(actionName);
    this.#execute = executeCallback as (goalHandle: ServerGoalHandle) => unknown;
    this.#goalCallback = (goalCallback ?? (() => GoalResponse.ACCEPT)) as (goal: object) => unknown;
    this.#handleAccepted = (handleAcceptedCallback ?? ((goalHandle: ServerGoalHandle) => goalHandle.execute())) as (
      goalHandle: ServerGoalHandle,
    ) => void;
    this.#cancelCallback = (cancelCallback ?? (() => CancelResponse.REJECT)) as (goalHandle: ServerGoalHandle) => unknown;
    this.node.graph.addAction(this.#name, { sendGoal: (goal, onFeedback) => this.#sendGoal(goal, onFeedback) });
    this.node.own(() => this.destroy());
  }

  destroy(): void {
    this.node.graph.removeAction(this.#name);
  }

  #sendGoal(goal: object, onFeedback?: (feedback: unknown) => void): ClientGoal {
    const accepted = this.#goalCallback(goal) === GoalResponse.ACCEPT;
    if (!accepted) {
      return { accepted, result: Promise.reject(new Error('goal was rejected')), cancel: async () => false };
    }
    const handle = new ServerGoalHandle(this, goal, onFeedback);
    // The client hears of acceptance before execution starts, as with a real server.
    setImmediate(() => this.#handleAccepted(handle));
    return {
      accepted,
      result: handle.done,
      cancel: async () => {
        if (!handle.isActive) return false;
        if ((await this.#cancelCallback(handle)) !== CancelResponse.ACCEPT) return false;
        if (!handle.isActive || handle.isCancelRequested) return handle.isCancelRequested;
        handle.update('cancel_goal');
        return true;
      },
    };
  }

  /** rclnodejs's _executeGoal: an error in execute is logged and the goal aborted with an empty result. */
  async run(handle: ServerGoalHandle): Promise<void> {
    let result: unknown = {};
    try {
      result = await this.#execute(handle);
    } catch (error) {
      this.node.getLogger().error(`Error raised in execute callback: ${String(error)}`);
    }
    if (handle.isActive) {
      this.node.getLogger().warn('Goal state not set, assuming aborted.');
      handle.abort();
    }
    const settled = { status: handle.status, result: structuredClone(result) };
    // After the feedback already published: one server's messages reach a client in the order sent.
    setImmediate(() => handle.settle(settled));
  }
}

// Compile-time proof that the double constructs like rclnodejs's ActionServer as taskmem declares it.
const fits: ActionServerCtor<RosNode> = ActionServer;
void fits;
