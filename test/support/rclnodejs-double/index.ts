/**
 * An in-process double of exactly the rclnodejs 2.2.0 API subset taskmem uses (`Rclnodejs` in
 * src/ros/Rclnodejs.ts), type-checked against rclnodejs's declarations. Each `RclnodejsDouble` is one simulated
 * process; several share a `RosGraph`, so a test publishes into the node under test as another node would:
 *
 *   const graph = new RosGraph();
 *   const robot = new RclnodejsDouble(graph);      // pass robot.rclnodejs to the node under test
 *   const tester = await RclnodejsDouble.node(graph, 'tester');
 *   tester.createPublisher('sensor_msgs/msg/Image', '/camera/image_raw', { qos: 'qos_profile_sensor_data' });
 */
import type { Rclnodejs, RosNode } from '../../../src/ros/Rclnodejs.js';
import { ActionServer, CancelResponse, GoalResponse } from './ActionServer.js';
import { DoubleNode, type DoubleContext } from './DoubleNode.js';
import { FloatingPointRange, IntegerRange, Parameter, ParameterDescriptor } from './parameters.js';
import { QoS } from './QoS.js';
import { RosGraph } from './RosGraph.js';
import { parameterTypeOf, parseRosArgs } from './rosArgs.js';

export { RosGraph } from './RosGraph.js';
export { QoS } from './QoS.js';
export { GoalStatus, type ClientGoal } from './ActionServer.js';
export type { DoubleNode } from './DoubleNode.js';

export class RclnodejsDouble {
  readonly graph: RosGraph;
  readonly rclnodejs: Rclnodejs;
  readonly #context: DoubleContext;
  #shutdown = false;
  #sigintHandler = true;

  /** A started node of its own process on `graph`, for a test to publish, subscribe and call from. */
  static async node(graph: RosGraph, name: string, argv: string[] = []): Promise<DoubleNode> {
    const process = new RclnodejsDouble(graph);
    await process.rclnodejs.init(undefined, argv);
    return new process.rclnodejs.Node(name) as DoubleNode;
  }

  constructor(graph = new RosGraph()) {
    this.graph = graph;
    const context: DoubleContext = (this.#context = {
      graph,
      args: { params: new Map(), remaps: [] },
      initialized: false,
      nodes: new Set(),
    });
    this.rclnodejs = {
      init: async (_context, argv = process.argv) => {
        if (context.initialized) throw new Error('The context has already been initialized.');
        context.args = parseRosArgs(argv);
        context.initialized = true;
      },
      // As rcl reports them: by node name as written, in order of first appearance, integers as numbers.
      parameterRules: () =>
        [...context.args.params].map(([name, parameters]) => ({
          name,
          parameters: [...parameters].map(([parameter, value]) => ({
            name: parameter,
            type: parameterTypeOf(value),
            value: typeof value === 'bigint' ? Number(value) : value,
          })),
        })),
      Node: class extends DoubleNode {
        constructor(nodeName: string, namespace?: string) {
          super(context, nodeName, namespace);
        }
      } satisfies new (nodeName: string, namespace?: string) => RosNode,
      Parameter,
      ParameterDescriptor,
      IntegerRange,
      FloatingPointRange,
      QoS,
      ActionServer,
      GoalResponse: GoalResponse,
      CancelResponse: CancelResponse,
      removeSignalHandlers: () => {
        this.#sigintHandler = false;
      },
      shutdown: () => {
        for (const node of [...context.nodes]) node.destroy();
        context.initialized = false;
        this.#shutdown = true;
      },
      isShutdown: () => this.#shutdown || !context.initialized,
    };
  }

  /** True until removeSignalHandlers(): rclnodejs shuts everything down on SIGINT by itself until then. */
  get sigintHandlerInstalled(): boolean {
    return this.#sigintHandler;
  }

  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** Nodes alive in this process. */
  get nodes(): DoubleNode[] {
    return [...this.#context.nodes];
  }
}
