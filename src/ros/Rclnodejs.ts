/**
 * The part of rclnodejs 2.2.0 that taskmem uses, and the one place that loads it at run time. Everything else in
 * taskmem takes an `Rclnodejs` object, so tests pass the in-process double (test/support/rclnodejs-double) and the
 * robot passes the real module. The types below are written against rclnodejs's own declarations: `RealFits`
 * fails to compile if rclnodejs changes a signature the node relies on, and the double `implements` the same
 * types, so neither side can drift.
 */
import type * as rcl from 'rclnodejs';
import type { ParameterRule } from './parameterOverrides.js';

/** A message, service or action type name such as 'sensor_msgs/msg/Image'. */
export type TypeName = string;

/** rcl_interfaces/msg/SetParametersResult as the set-parameters callbacks return it. */
export interface SetParametersResult {
  successful: boolean;
  reason: string;
}

export type Logger = Pick<rcl.Logging, 'debug' | 'info' | 'warn' | 'error'>;
export type RosTime = Pick<rcl.Time, 'nanoseconds'>;
export type Publisher<T extends rcl.TypeClass<rcl.MessageTypeClassName>> = Pick<rcl.Publisher<T>, 'topic' | 'publish'>;
export type Subscription = Pick<rcl.Subscription, 'topic'>;
export type Timer = Pick<rcl.Timer, 'cancel' | 'isCanceled'>;

/** The node methods taskmem calls, with rclnodejs's argument lists and narrowed results. */
export interface RosNode {
  name(): string;
  namespace(): string;
  getLogger(): Logger;
  now(): RosTime;
  spin(timeout?: number): void;
  createTimer(period: bigint, callback: () => void): Timer;
  createPublisher<T extends rcl.TypeClass<rcl.MessageTypeClassName>>(typeClass: T, topic: string, options?: rcl.Options): Publisher<T>;
  countSubscribers(topic: string): number;
  createSubscription<T extends rcl.TypeClass<rcl.MessageTypeClassName>>(
    typeClass: T,
    topic: string,
    options: rcl.Options,
    callback: rcl.SubscriptionCallback<T>,
  ): Subscription;
  createService<T extends rcl.TypeClass<rcl.ServiceTypeClassName>>(
    typeClass: T,
    serviceName: string,
    options: rcl.Options,
    callback: rcl.ServiceRequestHandler<T>,
  ): unknown;
  declareParameter(parameter: rcl.Parameter, descriptor?: rcl.ParameterDescriptor, ignoreOverride?: boolean): rcl.Parameter;
  getParameter(name: string): rcl.Parameter;
  setParameters(parameters: rcl.Parameter[]): SetParametersResult[];
  addOnSetParametersCallback(callback: (parameters: rcl.Parameter[]) => SetParametersResult): void;
  addPostSetParametersCallback(callback: (parameters: rcl.Parameter[]) => void): void;
  destroy(): void;
}

/** The goal handle an `execute` callback gets. */
export type GoalHandle<T extends rcl.TypeClass<rcl.ActionTypeClassName>> = Pick<
  rcl.ServerGoalHandle<T>,
  'request' | 'goalId' | 'isActive' | 'isCancelRequested' | 'publishFeedback' | 'succeed' | 'abort' | 'canceled'
>;

export type ActionServerCtor<N> = new <T extends rcl.TypeClass<rcl.ActionTypeClassName>>(
  node: N,
  typeClass: T,
  actionName: string,
  executeCallback: (goalHandle: GoalHandle<T>) => Promise<rcl.ActionResult<T>> | rcl.ActionResult<T>,
  goalCallback?: rcl.GoalCallback<T>,
  handleAcceptedCallback?: (goalHandle: GoalHandle<T>) => void,
  cancelCallback?: (goalHandle?: GoalHandle<T>) => Promise<rcl.CancelResponse> | rcl.CancelResponse,
) => Pick<rcl.ActionServer<T>, 'destroy'>;

/** The module object the node is given. */
export interface Rclnodejs {
  init(context?: undefined, argv?: string[]): Promise<void>;
  /**
   * The parameter rules rcl parsed from `--ros-args` at init (`-p`, `--params-file`), by node name as written and
   * in rcl's order, whichever node they name; `nodeParameterOverrides` picks the ones that apply to a node.
   */
  parameterRules(): ParameterRule[];
  Node: new (nodeName: string, namespace?: string) => RosNode;
  Parameter: typeof rcl.Parameter;
  ParameterDescriptor: typeof rcl.ParameterDescriptor;
  IntegerRange: typeof rcl.IntegerRange;
  FloatingPointRange: typeof rcl.FloatingPointRange;
  QoS: { new (...args: ConstructorParameters<typeof rcl.QoS>): rcl.QoS } & Pick<
    typeof rcl.QoS,
    'profileSensorData' | 'HistoryPolicy' | 'ReliabilityPolicy' | 'DurabilityPolicy'
  >;
  ActionServer: ActionServerCtor<RosNode>;
  GoalResponse: typeof rcl.GoalResponse;
  CancelResponse: typeof rcl.CancelResponse;
  removeSignalHandlers(): void;
  shutdown(): void;
  isShutdown(): boolean;
}

/** Compiles only while the real module offers everything `Rclnodejs` asks for, with the same signatures. */
type RealFits = [rcl.Node] extends [RosNode] ? true : never;
const realFits: RealFits = true;
void realFits;

/**
 * Loads rclnodejs. It needs a sourced ROS 2 (its native addon is built for a ROS distribution), so this is the
 * only run-time import of it in taskmem.
 */
export async function loadRclnodejs(): Promise<Rclnodejs> {
  if (!process.env['ROS_DISTRO'] || !process.env['AMENT_PREFIX_PATH']) {
    throw new Error(
      'taskmem: ROS 2 is not sourced (ROS_DISTRO or AMENT_PREFIX_PATH is unset); run `source /opt/ros/<distro>/setup.bash` ' +
        "and the workspace's install/setup.bash first",
    );
  }
  let mod: typeof rcl;
  try {
    const imported = (await import('rclnodejs')) as typeof rcl & { default?: typeof rcl };
    mod = imported.default ?? imported;
  } catch (error) {
    throw new Error(
      `taskmem: rclnodejs could not be loaded for ROS ${process.env['ROS_DISTRO']}: ${(error as Error).message}. ` +
        'Install it in a shell where ROS 2 is sourced (npm rebuild rclnodejs), then run `npx generate-ros-messages`.',
      { cause: error },
    );
  }
  // rclnodejs keeps rcl's parsed rules to itself and applies only some of them (src/ros/parameterOverrides.ts);
  // its native binding, the one place that reads them, is reached through the package's exported lib/ folder.
  let native: { getParameterOverrides(contextHandle: unknown): ParameterRule[] | undefined };
  try {
    // A specifier in a variable: the package declares no types for lib/.
    const specifier = 'rclnodejs/lib/native_loader.js';
    native = ((await import(specifier)) as { default: typeof native }).default;
  } catch (error) {
    throw new Error(`taskmem: rclnodejs's native binding could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  // The node passed to ActionServer is always one that this module's own Node made.
  const ActionServer: ActionServerCtor<rcl.Node> = mod.ActionServer;
  return {
    init: (context, argv) => mod.init(context, argv),
    parameterRules: () => native.getParameterOverrides((mod.Context.defaultContext() as unknown as { handle: unknown }).handle) ?? [],
    Node: mod.Node,
    Parameter: mod.Parameter,
    ParameterDescriptor: mod.ParameterDescriptor,
    IntegerRange: mod.IntegerRange,
    FloatingPointRange: mod.FloatingPointRange,
    QoS: mod.QoS,
    ActionServer: ActionServer as unknown as ActionServerCtor<RosNode>,
    GoalResponse: mod.GoalResponse,
    CancelResponse: mod.CancelResponse,
    removeSignalHandlers: () => mod.removeSignalHandlers(),
    shutdown: () => mod.shutdown(),
    isShutdown: () => mod.isShutdown(),
  };
}
