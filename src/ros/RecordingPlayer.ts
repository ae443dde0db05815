import { setTimeout as sleep } from 'node:timers/promises';
import { RecordingError, type RecordingChannel } from '../bag/McapRecording.js';
import type { Recording } from '../bag/Recording.js';
import { SENSOR_ROS_TYPES } from '../pipeline/SensorMessage.js';
import { toRosTime, type RosNanos } from '../time.js';
import type { Publisher, Rclnodejs, RosNode } from './Rclnodejs.js';

export interface PlayOptions {
  /** Recorded topics to publish; by default every topic whose type the memory node reads (camera, audio, pose). */
  topics?: readonly string[];
  /** Playback speed as a factor of recorded time: 2 plays twice as fast. */
  rate?: number;
  /** Start again from the beginning after the end, until stopped. */
  loop?: boolean;
  /** Publish the recording's time on /clock at this many Hz (for nodes with use_sim_time); 0: no clock. */
  clockHz?: number;
  /** Before the first message, wait until every played topic has a subscriber (they may be remapped). */
  waitForSubscribers?: boolean;
  /** Stops playback between two messages. */
  signal?: AbortSignal;
}

/** What a playback did, for the command's last line. */
export interface PlayResult {
  published: number;
  /** Passes over the recording begun (more than one with `loop`). */
  passes: number;
  stopped: boolean;
}

/** A type as rosbag2 names it in MCAP schemas: `sensor_msgs/msg/Image`, or `sensor_msgs/Image` in older files. */
function rosType(type: string): string {
  const parts = type.split('/');
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : type;
}

/**
 * Publishes a rosbag2 recording's messages (MCAP or SQLite storage) into a live ROS graph as a robot's drivers would: each on its
 * recorded topic (rcl remap rules apply, `-r /camera/image_raw:=/cam`), with its recorded header stamps, spaced as
 * they were logged (divided by `rate`), optionally with the recording's time on /clock so that nodes with
 * `use_sim_time` follow it. With `loop`, the recording starts over at its end; the stamps then jump back, as
 * after a simulation reset. Publishers are reliable with a history of 10, so both reliable and best-effort
 * (sensor data) subscriptions receive the messages.
 */
export class RecordingPlayer {
  readonly channels: readonly RecordingChannel[];
  readonly #recording: Recording;
  readonly #node: RosNode;
  readonly #publishers = new Map<string, Publisher<'sensor_msgs/msg/Image'>>();
  readonly #clock: Publisher<'rosgraph_msgs/msg/Clock'> | null;
  readonly #options: Required<Omit<PlayOptions, 'topics' | 'signal'>> & Pick<PlayOptions, 'signal'>;

  /**
   * Creates the publishers on `node` (a node of `rclnodejs`). Throws a RecordingError when the recording lacks a
   * topic asked for or has nothing to play, and an Error naming a topic whose type cannot be published.
   */
  constructor(rclnodejs: Pick<Rclnodejs, 'QoS'>, node: RosNode, recording: Recording, options: PlayOptions = {}) {
    const { topics, rate = 1, loop = false, clockHz = 0, waitForSubscribers = false, signal } = options;
    if (!(rate > 0)) throw new RangeError(`RecordingPlayer: rate must be above 0, not ${rate}`);
    if (!(clockHz >= 0)) throw new RangeError(`RecordingPlayer: clock rate must be 0 (no clock) or above, not ${clockHz}`);
    this.#recording = recording;
    this.#node = node;
    this.#options = { rate, loop, clockHz, waitForSubscribers, signal };
    const missing = (topics ?? []).filter((t) => !recording.channels.some((c) => c.topic === t));
    if (missing.length > 0) {
      throw new RecordingError(
        `${recording.name} has no topic ${missing.join(', ')}; it has ${recording.channels.map((c) => c.topic).join(', ') || 'none'}`,
      );
    }
    this.channels = recording.channels.filter((c) => (topics ? topics.includes(c.topic) : SENSOR_ROS_TYPES.includes(rosType(c.type))));
    if (this.channels.length === 0) {
      throw new RecordingError(
        `${recording.name} has no camera, audio or pose topic to play (its topics: ${describe(recording.channels)})`,
      );
    }
    const { QoS } = rclnodejs;
    const qos = new QoS(
      QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
      10,
      QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
      QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
    );
    for (const channel of this.channels) {
      try {
        this.#publishers.set(channel.topic, node.createPublisher(rosType(channel.type) as 'sensor_msgs/msg/Image', channel.topic, { qos }));
      } catch (error) {
        throw new Error(
          `cannot publish ${channel.topic} as ${rosType(channel.type)} (${(error as Error).message}); is its message package installed and sourced?`,
          { cause: error },
        );
      }
    }
    this.#clock = clockHz > 0 ? node.createPublisher('rosgraph_msgs/msg/Clock', '/clock', { qos }) : null;
  }

  /** Where each played topic goes after remapping, with its type. */
  get destinations(): { topic: string; type: string }[] {
    return this.channels.map((c) => ({ topic: this.#publishers.get(c.topic)!.topic, type: rosType(c.type) }));
  }

  async play(): Promise<PlayResult> {
    const { loop, waitForSubscribers, signal } = this.#options;
    const result: PlayResult = { published: 0, passes: 0, stopped: false };
    if (waitForSubscribers && !(await this.#subscribed())) return { ...result, stopped: true };
    do {
      result.passes++;
      if (!(await this.#pass(result))) return { ...result, stopped: true };
    } while (loop && !signal?.aborted);
    return { ...result, stopped: signal?.aborted ?? false };
  }

  /** One pass over the recording; false when stopped. */
  async #pass(result: PlayResult): Promise<boolean> {
    const { rate, clockHz, signal } = this.#options;
    const first = this.#recording.identity.start;
    const startedAt = performance.now();
    const recordedAt = (wallMs: number): RosNanos => first + BigInt(Math.round((wallMs - startedAt) * rate * 1e6));
    const clockPeriodMs = clockHz > 0 ? 1000 / clockHz : Infinity;
    let nextTick = startedAt;
    const waitUntil = async (dueMs: number) => {
      for (;;) {
        const now = performance.now();
        if (this.#clock && nextTick <= now) {
          this.#clock.publish({ clock: toRosTime(recordedAt(now)) });
          nextTick = Math.max(nextTick + clockPeriodMs, now);
        }
        if (now >= dueMs || signal?.aborted) return;
        await sleep(Math.max(1, Math.min(dueMs, nextTick) - now));
      }
    };
    for await (const record of this.#recording.messages({ topics: this.channels.map((c) => c.topic) })) {
      await waitUntil(startedAt + Number(record.logTime - first) / 1e6 / rate);
      if (signal?.aborted) return false;
      this.#publishers.get(record.topic)!.publish(withOwnBuffers(record.message) as never);
      result.published++;
    }
    return !signal?.aborted;
  }

  /** Waits until every played topic has a subscriber; false when stopped first. */
  async #subscribed(): Promise<boolean> {
    const topics = this.destinations.map((d) => d.topic);
    while (!topics.every((topic) => this.#node.countSubscribers(topic) > 0)) {
      if (this.#options.signal?.aborted) return false;
      await sleep(50);
    }
    return true;
  }
}

/**
 * The message with every typed array that is a view into a larger buffer (decoded MCAP messages point into their
 * chunk) copied into a buffer of its own: rclnodejs 2.2.0 serializes a typed array from the start of its
 * underlying buffer, so a view would be sent as the wrong bytes.
 */
export function withOwnBuffers(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : (value as Uint8Array).slice();
  }
  if (Array.isArray(value)) return value.map(withOwnBuffers);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withOwnBuffers(v)]));
  return value;
}

function describe(channels: readonly RecordingChannel[]): string {
  return channels.map((c) => `${c.topic} (${c.type})`).join(', ') || 'none';
}
