import type { Config } from '../config/schema.js';
import type {
  AudioDataStampedMsg,
  AudioInfoMsg,
  AudioStampedMsg,
  CompressedImageMsg,
  ImageMsg,
  OdometryMsg,
  PoseStampedMsg,
  PoseWithCovarianceStampedMsg,
} from '../messages.js';

/**
 * One message of a sensor topic, tagged with what it is. The ROS node's subscriptions and the rosbag2 reader
 * both produce these, so live and recorded streams enter the pipeline through the same door.
 */
export type SensorMessage =
  | { kind: 'image'; message: ImageMsg }
  | { kind: 'compressed_image'; message: CompressedImageMsg }
  | { kind: 'audio_info'; message: AudioInfoMsg }
  | { kind: 'audio_data_stamped'; message: AudioDataStampedMsg }
  | { kind: 'audio_stamped'; message: AudioStampedMsg }
  | { kind: 'pose_stamped'; message: PoseStampedMsg }
  | { kind: 'odometry'; message: OdometryMsg }
  | { kind: 'pose_with_covariance_stamped'; message: PoseWithCovarianceStampedMsg };

export type SensorKind = SensorMessage['kind'];

/** A topic the configuration asks for: its name as configured (maybe relative), ROS type and kind. */
export interface SensorTopic {
  /** The parameter that names this topic, for error messages (`camera.topic`). */
  param: string;
  topic: string;
  rosType: string;
  kind: SensorKind;
}

const ROS_TYPES: Record<SensorKind, string> = {
  image: 'sensor_msgs/msg/Image',
  compressed_image: 'sensor_msgs/msg/CompressedImage',
  audio_info: 'audio_common_msgs/msg/AudioInfo',
  audio_data_stamped: 'audio_common_msgs/msg/AudioDataStamped',
  audio_stamped: 'audio_common_msgs/msg/AudioStamped',
  pose_stamped: 'geometry_msgs/msg/PoseStamped',
  odometry: 'nav_msgs/msg/Odometry',
  pose_with_covariance_stamped: 'geometry_msgs/msg/PoseWithCovarianceStamped',
};

/** The ROS type of a kind of sensor message, e.g. `sensor_msgs/msg/Image` for `image`. */
export function rosTypeOf(kind: SensorKind): string {
  return ROS_TYPES[kind];
}

/** Every message type the node reads from sensor topics (what `taskmem play` publishes by default). */
export const SENSOR_ROS_TYPES: readonly string[] = Object.values(ROS_TYPES);

/** The sensor topics selected by `camera.*`, `audio.*` and `pose.*`, camera first. */
export function sensorTopics(config: Pick<Config, 'camera' | 'audio' | 'pose'>): SensorTopic[] {
  const topics: SensorTopic[] = [];
  const add = (param: string, topic: string, kind: SensorKind) => topics.push({ param, topic, kind, rosType: ROS_TYPES[kind] });
  add('camera.topic', config.camera.topic, config.camera.type === 'image' ? 'image' : 'compressed_image');
  if (config.audio.type === 'audio_data_stamped') {
    add('audio.topic', config.audio.topic, 'audio_data_stamped');
    add('audio.info_topic', config.audio.info_topic, 'audio_info');
  } else if (config.audio.type === 'audio_stamped') {
    add('audio.topic', config.audio.topic, 'audio_stamped');
  }
  if (config.pose.topic !== '') add('pose.topic', config.pose.topic, config.pose.type);
  return topics;
}
