/**
 * The real-graph tests' driver: a process of its own with a node on the real ROS 2 graph (rclnodejs from the
 * installed taskmem package, so it knows taskmem's messages), doing what the robot's other nodes and a user's
 * `ros2` commands do to the memory node: subscribe, publish, call services, send and cancel action goals, list
 * the graph. It reads one JSON request per line on stdin and writes answers and events as JSON lines on stdout
 * (test/ros/graph/wire.ts); its own log goes to stderr.
 *
 * Run: TASKMEM_SHARE=<install>/share/taskmem tsx test/ros/graph/driver.ts   (with the workspace sourced)
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type * as rcl from 'rclnodejs';
import { decode, encode, type DriverLine, type DriverRequest } from './wire.js';

type Rcl = typeof rcl;
const share = process.env['TASKMEM_SHARE'];
if (!share) throw new Error('driver: TASKMEM_SHARE (the installed share/taskmem folder) is not set');
const rclnodejs = createRequire(join(share, 'package.json'))('rclnodejs') as Rcl;

await rclnodejs.init();
// The tests stop the driver by closing its stdin; a SIGINT from the terminal ends it as rclnodejs decides.
const node = new rclnodejs.Node('taskmem_test_driver');
node.spin();

const send = (line: DriverLine) => process.stdout.write(`${encode(line)}\n`);

function qosOf(name: unknown): rcl.QoS | string {
  const { QoS } = rclnodejs;
  switch (name) {
    case 'sensor':
      return QoS.profileSensorData;
    case 'latched':
      return new QoS(
        QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
        100,
        QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
        QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL,
      );
    case 'reliable':
    case undefined:
      return QoS.profileDefault;
    default:
      throw new Error(`driver: unknown QoS ${String(name)}`);
  }
}

// Types are chosen at run time; these stand for "some message" and "some service" to the compiler.
type AnyType = 'sensor_msgs/msg/Image';
type AnyService = 'taskmem/srv/Recall';
const subscriptions = new Map<number, rcl.Subscription>();
const publishers = new Map<string, rcl.Publisher<AnyType>>();
const clients = new Map<string, rcl.Client<AnyService>>();
const actionClients = new Map<string, rcl.ActionClient<'taskmem/action/Ask'>>();
const goals = new Map<number, rcl.ClientGoalHandle<'taskmem/action/Ask'>>();
let nextId = 0;

const ops: Record<string, (args: Record<string, unknown>) => unknown> = {
  subscribe({ topic, type, qos }) {
    const id = ++nextId;
    const sub = node.createSubscription(type as AnyType, topic as string, { qos: qosOf(qos) }, (message: rcl.sensor_msgs.msg.Image) =>
      send({ event: 'message', sub: id, message }),
    );
    subscriptions.set(id, sub);
    return id;
  },
  unsubscribe({ sub }) {
    const s = subscriptions.get(sub as number);
    if (s) node.destroySubscription(s);
    subscriptions.delete(sub as number);
    return null;
  },
  publish({ topic, type, qos, message }) {
    const key = `${String(topic)} ${String(type)} ${String(qos)}`;
    let publisher = publishers.get(key);
    if (!publisher) publishers.set(key, (publisher = node.createPublisher(type as AnyType, topic as string, { qos: qosOf(qos) })));
    publisher.publish(message as never);
    return null;
  },
  count({ topic }) {
    return { publishers: node.countPublishers(topic as string), subscribers: node.countSubscribers(topic as string) };
  },
  async call({ service, type, request, timeoutMs }) {
    const key = `${String(service)} ${String(type)}`;
    let client = clients.get(key);
    if (!client) clients.set(key, (client = node.createClient(type as AnyService, service as string)));
    if (!(await client.waitForService(timeoutMs as number))) throw new Error(`service ${String(service)} is not available`);
    return client.sendRequestAsync(request as never, { timeout: timeoutMs as number });
  },
  async sendGoal({ action, type, goal, timeoutMs }) {
    let client = actionClients.get(action as string);
    if (!client)
      actionClients.set(action as string, (client = new rclnodejs.ActionClient(node, type as 'taskmem/action/Ask', action as string)));
    if (!(await client.waitForServer(timeoutMs as number))) throw new Error(`action server ${String(action)} is not available`);
    const id = ++nextId;
    const handle = await client.sendGoal(goal as never, (feedback) => send({ event: 'feedback', goal: id, feedback }));
    if (!handle.isAccepted()) return { goal: id, accepted: false };
    goals.set(id, handle);
    void handle.getResult().then(
      (result) => send({ event: 'result', goal: id, status: handle.status, result }),
      (error: unknown) => send({ event: 'result', goal: id, status: -1, result: String(error) }),
    );
    return { goal: id, accepted: true };
  },
  async cancel({ goal }) {
    const handle = goals.get(goal as number);
    if (!handle) throw new Error(`no goal ${String(goal)}`);
    const response = await handle.cancelGoal();
    return { accepted: response.goals_canceling.length > 0 };
  },
  names() {
    const topics = node.getTopicNamesAndTypes().map((t) => t.name);
    return {
      nodes: node.getNodeNames(),
      topics,
      services: node.getServiceNamesAndTypes().map((s) => s.name),
      actions: topics.filter((t) => t.endsWith('/_action/feedback')).map((t) => t.slice(0, -'/_action/feedback'.length)),
    };
  },
};

createInterface({ input: process.stdin })
  .on('line', (text) => {
    const request = decode(text) as DriverRequest;
    const op = ops[request.op];
    Promise.resolve()
      .then(() => {
        if (!op) throw new Error(`driver: unknown operation ${request.op}`);
        return op(request.args);
      })
      .then(
        (result) => send({ id: request.id, ok: true, result: result ?? null }),
        (error: unknown) => send({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  })
  .on('close', () => {
    node.destroy();
    rclnodejs.shutdown();
  });
