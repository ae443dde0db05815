import type * as rcl from 'rclnodejs';
import type { Memory } from '../memory/Memory.js';
import type { Pose } from '../segment/Segment.js';
import { toRosTime } from '../time.js';

/**
 * taskmem/msg/Memory as a plain object, typed by the generated rclnodejs declarations (types/) so that a field
 * msg/Memory.msg does not have fails to compile.
 */
export type MemoryMsg = rcl.taskmem.msg.Memory;

/** A stored memory as the taskmem/msg/Memory message that is published on ROS and recorded into MCAP. */
export function toMemoryMsg(memory: Memory): MemoryMsg {
  return {
    id: memory.id,
    robot_id: memory.robotId,
    episode: memory.episode,
    segment_index: memory.segmentIndex,
    start: toRosTime(memory.start),
    end: toRosTime(memory.end),
    created_at: toRosTime(memory.createdAt),
    text: memory.text,
    source: memory.source,
    task_group: memory.taskGroup ?? '',
    focus_depth: memory.focusDepth,
    format_ok: memory.quality.format,
    hygiene: memory.quality.hygiene === null ? -1 : memory.quality.hygiene ? 1 : 0,
    preference: memory.quality.preference ?? Number.NaN,
    description_tokens: memory.quality.descriptionTokens,
    // msg/Memory.msg: empty for perception memories, which no model wrote.
    model: memory.source === 'perception' ? '' : memory.model,
    prompt_template: memory.template,
    has_pose: memory.pose !== null,
    pose: poseStampedMsg(memory.pose),
    transcript: memory.transcript,
    people: memory.people,
  };
}

/** A segment pose as geometry_msgs/PoseStamped; all zeros (identity rotation) when there is no pose. */
export function poseStampedMsg(pose: Pose | null): rcl.geometry_msgs.msg.PoseStamped {
  const yaw = pose?.yaw ?? 0;
  return {
    header: { stamp: toRosTime(pose?.stamp ?? 0n), frame_id: pose?.frameId ?? '' },
    pose: {
      position: { x: pose?.x ?? 0, y: pose?.y ?? 0, z: pose?.z ?? 0 },
      // Rotation about +z by yaw: (0, 0, sin(yaw/2), cos(yaw/2)).
      orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) },
    },
  };
}
