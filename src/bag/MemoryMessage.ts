import type { Memory } from '../memory/Memory.js';
import type { PoseStampedMsg } from '../messages.js';
import { toRosTime, type RosTimeMsg } from '../time.js';

/** taskmem/msg/Memory as a plain object, field for field as in msg/Memory.msg. */
export interface MemoryMsg {
  id: string;
  robot_id: string;
  episode: number;
  segment_index: number;
  start: RosTimeMsg;
  end: RosTimeMsg;
  created_at: RosTimeMsg;
  text: string;
  source: string;
  task_group: string;
  focus_depth: number;
  format_ok: boolean;
  hygiene: number;
  preference: number;
  description_tokens: number;
  model: string;
  prompt_template: string;
  has_pose: boolean;
  pose: PoseStampedMsg;
  transcript: string[];
}

/** A stored memory as the taskmem/msg/Memory message that is published and recorded. */
export function toMemoryMsg(memory: Memory): MemoryMsg {
  const pose = memory.pose;
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
    model: memory.model,
    prompt_template: memory.template,
    has_pose: pose !== null,
    pose: {
      header: { stamp: toRosTime(pose?.stamp ?? 0n), frame_id: pose?.frameId ?? '' },
      pose: {
        position: { x: pose?.x ?? 0, y: pose?.y ?? 0, z: pose?.z ?? 0 },
        // Heading about +z as a quaternion: (0, 0, sin(yaw/2), cos(yaw/2)).
        orientation: { x: 0, y: 0, z: Math.sin((pose?.yaw ?? 0) / 2), w: Math.cos((pose?.yaw ?? 0) / 2) },
      },
    },
    transcript: memory.transcript,
  };
}
