import type { Config } from '../config/schema.js';
import type { RosNanos } from '../time.js';
import { sensorTopics, type SensorMessage, type SensorTopic } from '../pipeline/SensorMessage.js';
import { RecordingError, type McapRecording } from './McapRecording.js';

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
export function matchSensorTopics(recording: McapRecording, config: Pick<Config, 'camera' | 'audio' | 'pose'>): RecordedSensorTopic[] {
  const byTopic = new Map(recording.channels.map((c) => [c.topic, c]));
  const listing = () =>
    recording.channels.length === 0
      ? '  (no channels)'
      : recording.channels
          .map((c) => `  ${c.topic}  ${c.type}${c.messageCount === null ? '' : `  (${c.messageCount} messages)`}`)
          .join('\n');
  return sensorTopics(config).map((wanted) => {
    const recordedTopic = wanted.topic.startsWith('/') ? wanted.topic : `/${wanted.topic}`;
    const channel = byTopic.get(recordedTopic);
    if (!channel) {
      throw new RecordingError(
        `${recording.name}: no topic ${recordedTopic} (${wanted.param}, ${wanted.rosType}) in the recording; it has:\n${listing()}\n` +
          `set ${wanted.param} to one of these${wanted.param.startsWith('camera') ? '' : `, or ${wanted.param.split('.')[0]}.type to none`}`,
      );
    }
    if (normalizeType(channel.type) !== wanted.rosType) {
      throw new RecordingError(
        `${recording.name}: topic ${recordedTopic} carries ${channel.type}, but ${wanted.param.split('.')[0]}.type asks for ${wanted.rosType}; it has:\n${listing()}`,
      );
    }
    return { ...wanted, recordedTopic };
  });
}

/** The recording's sensor messages on the matched topics, in log-time order, from `startTime` on. */
export async function* recordedSensorMessages(
  recording: McapRecording,
  topics: readonly RecordedSensorTopic[],
  startTime?: RosNanos,
): AsyncGenerator<SensorMessage> {
  const kinds = new Map(topics.map((t) => [t.recordedTopic, t.kind]));
  for await (const record of recording.messages({ topics: [...kinds.keys()], ...(startTime === undefined ? {} : { startTime }) })) {
    yield { kind: kinds.get(record.topic)!, message: record.message } as SensorMessage;
  }
}

/** `sensor_msgs/Image` and `sensor_msgs/msg/Image` name the same type. */
function normalizeType(type: string): string {
  const parts = type.split('/');
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : type;
}
