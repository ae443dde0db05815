import type { OdometryMsg, PoseMsg, PoseStampedMsg, PoseWithCovarianceStampedMsg, QuaternionMsg } from '../messages.js';
import type { Pose } from './Segment.js';
import { formatStamp, fromRosTime } from '../time.js';

/** The pose topics taskmem reads: geometry_msgs PoseStamped, PoseWithCovarianceStamped (e.g. /amcl_pose), nav_msgs Odometry. */
export type PoseMessage = PoseStampedMsg | PoseWithCovarianceStampedMsg | OdometryMsg;

/** Heading about +z of an orientation; the quaternion need not be normalised. */
export function yawFromQuaternion({ x, y, z, w }: QuaternionMsg): number {
  return Math.atan2(2 * (w * z + x * y), w * w + x * x - y * y - z * z);
}

/** A Pose from any pose message; throws when position or orientation is not a usable number. */
export function poseFromMessage(msg: PoseMessage): Pose {
  const pose: PoseMsg = 'position' in msg.pose ? msg.pose : msg.pose.pose;
  const stamp = fromRosTime(msg.header.stamp);
  const { position: p, orientation: q } = pose;
  if (![p.x, p.y, p.z, q.x, q.y, q.z, q.w].every(Number.isFinite)) {
    throw new Error(`pose at ${formatStamp(stamp)} in ${msg.header.frame_id}: position or orientation is not finite`);
  }
  if (q.x === 0 && q.y === 0 && q.z === 0 && q.w === 0) {
    throw new Error(`pose at ${formatStamp(stamp)} in ${msg.header.frame_id}: orientation quaternion is all zeros`);
  }
  return { stamp, frameId: msg.header.frame_id, x: p.x, y: p.y, z: p.z, yaw: yawFromQuaternion(q) };
}
