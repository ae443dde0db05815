import type { Config } from '../config/schema.js';
import type { RosNanos } from '../time.js';
import { parse } from '@foxglove/rosmsg';
import { schemaProblem } from '../pipeline/SensorFields.js';
import { sensorTopics, type SensorKind, type SensorMessage, type SensorTopic } from '../pipeline/SensorMessage.js';
import { RecordingError, type RecordingChannel } from './McapRecording.js';
import type { Recording } from './Recording.js';

/** A configured sensor topic matched to a channel of a recording. */
export interface RecordedSensorTopic extends SensorTopic {
  /** The topic's name in the recording (absolute). */
  recordedTopic: string;
}

/**
 * Matches the configured camera, audio and pose topics to the recording's channels. A relative name in the
 * configuration (`camera/image_raw`) matches the recorded absolute one (`/camera/image_raw`). A topic that is
 * missing or has another type is an error that lists what the file holds and names the parameter to change.
 */
export function matchSensorTopics(recording: Recording, config: Pick<Config, 'camera' | 'audio' | 'pose'>): RecordedSensorTopic[] {
  const byTopic = new Map(recording.channels.map((c) => [c.topic, c]));
  // On the error's one line: what the file holds, so that the user can pick the topic to set.
  const listing = () =>
    recording.channels.length === 0
      ? 'no channels'
      : recording.channels.map((c) => `${c.topic} (${c.type}${c.messageCount === null ? '' : `, ${c.messageCount} messages`})`).join(', ');
  return sensorTopics(config).map((wanted) => {
    const recordedTopic = wanted.topic.startsWith('/') ? wanted.topic : `/${wanted.topic}`;
    const channel = byTopic.get(recordedTopic);
    const sensor = wanted.param.split('.')[0]!;
    if (!channel) {
      throw new RecordingError(
        `${recording.name}: no topic ${recordedTopic} (${wanted.param}, ${wanted.rosType}) in the recording, which has ${listing()}; ` +
          `set ${wanted.param} to one of these${sensor === 'camera' ? '' : `, or ${sensor}.type to none`}`,
      );
    }
    if (normalizeType(channel.type) !== wanted.rosType) {
      throw new RecordingError(
        `${recording.name}: topic ${recordedTopic} carries ${channel.type}, but ${sensor}.type asks for ${wanted.rosType}; ` +
          `set ${sensor}.type to the type it carries, or ${wanted.param} to a topic of ${wanted.rosType} (the recording has ${listing()})`,
      );
    }
    const problem = recordedSchemaProblem(wanted.kind, channel.schema);
    if (problem) {
      throw new RecordingError(
        `${recording.name}: topic ${recordedTopic} is recorded as ${channel.type}, but the message definition recorded with it ${problem}: ` +
          `its messages are not the standard ${wanted.rosType} taskmem reads (a custom message under the same name?); record the topic with the standard message`,
      );
    }
    return { ...wanted, recordedTopic };
  });
}

/** The recording's sensor messages on the matched topics, in log-time order, from `startTime` on. */
export async function* recordedSensorMessages(
  recording: Recording,
  topics: readonly RecordedSensorTopic[],
  startTime?: RosNanos,
): AsyncGenerator<SensorMessage> {
  const kinds = new Map(topics.map((t) => [t.recordedTopic, t.kind]));
  for await (const record of recording.messages({ topics: [...kinds.keys()], ...(startTime === undefined ? {} : { startTime }) })) {
    yield { kind: kinds.get(record.topic)!, message: record.message } as SensorMessage;
  }
}

/** What keeps a channel's recorded schema from being read as `kind` (see SensorFields); null when nothing does. */
function recordedSchemaProblem(kind: SensorKind, schema: RecordingChannel['schema']): string | null {
  if (!schema) return 'is missing';
  if (schema.encoding !== 'ros2msg') return `is in the ${schema.encoding} encoding, not ros2msg`;
  let definitions: ReturnType<typeof parse>;
  try {
    definitions = parse(schema.text, { ros2: true });
  } catch (error) {
    return `cannot be read (${error instanceof Error ? error.message : String(error)})`;
  }
  return schemaProblem(kind, definitions);
}

/** `sensor_msgs/Image` and `sensor_msgs/msg/Image` name the same type. */
function normalizeType(type: string): string {
  const parts = type.split('/');
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : type;
}
