/**
 * The ROS message shapes the stages consume, as both rclnodejs and the rosbag2 CDR reader deliver them:
 * field names as in the .msg files, `uint8[]` as Uint8Array (or a plain array), other primitive arrays as
 * their typed arrays or plain arrays. Stages accept these structural types so that live messages and
 * recorded ones go through the same code.
 */
import type { RosTimeMsg } from './time.js';

export type Bytes = Uint8Array | readonly number[];

/** The bytes of a `uint8[]` field as a Uint8Array: the same memory when it already is one, else a copy. */
export function asUint8Array(data: Bytes): Uint8Array {
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}

export type NumberArray = ArrayLike<number>;

export interface HeaderMsg {
  stamp: RosTimeMsg;
  frame_id: string;
}

/** sensor_msgs/msg/Image */
export interface ImageMsg {
  header: HeaderMsg;
  height: number;
  width: number;
  encoding: string;
  is_bigendian: number;
  step: number;
  data: Bytes;
}

/** sensor_msgs/msg/CompressedImage */
export interface CompressedImageMsg {
  header: HeaderMsg;
  format: string;
  data: Bytes;
}

/** audio_common_msgs/msg/AudioInfo (ros-drivers/audio_common) */
export interface AudioInfoMsg {
  channels: number;
  sample_rate: number;
  sample_format: string;
  bitrate: number;
  coding_format: string;
}

/** audio_common_msgs/msg/AudioDataStamped (ros-drivers/audio_common) */
export interface AudioDataStampedMsg {
  header: HeaderMsg;
  audio: { data: Bytes };
}

/** audio_common_msgs/msg/AudioStamped (mgonzs13/audio_common) */
export interface AudioStampedMsg {
  header: HeaderMsg;
  audio: {
    audio_data: {
      float32_data: NumberArray;
      int32_data: NumberArray;
      int16_data: NumberArray;
      int8_data: NumberArray;
      uint8_data: Bytes;
    };
    info: { format: number; channels: number; rate: number; chunk: number };
  };
}

export interface PointMsg {
  x: number;
  y: number;
  z: number;
}
export interface QuaternionMsg {
  x: number;
  y: number;
  z: number;
  w: number;
}
export interface PoseMsg {
  position: PointMsg;
  orientation: QuaternionMsg;
}

/** geometry_msgs/msg/PoseStamped */
export interface PoseStampedMsg {
  header: HeaderMsg;
  pose: PoseMsg;
}
/** geometry_msgs/msg/PoseWithCovarianceStamped */
export interface PoseWithCovarianceStampedMsg {
  header: HeaderMsg;
  pose: { pose: PoseMsg; covariance: NumberArray };
}
/** nav_msgs/msg/Odometry (twist omitted: unused) */
export interface OdometryMsg {
  header: HeaderMsg;
  child_frame_id: string;
  pose: { pose: PoseMsg; covariance: NumberArray };
}
