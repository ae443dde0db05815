/**
 * Conversions between taskmem's domain values and the taskmem ROS interfaces (msg/, srv/, action/), typed by the
 * generated rclnodejs message declarations so a field the .msg files do not have fails to compile. The node
 * publishes these; `taskmem ingest --memories-out` records the same Memory messages into MCAP.
 */
import type * as rcl from 'rclnodejs';
import type { Answer, Evidence } from '../answer/Answer.js';
import type { Memory } from '../memory/Memory.js';
import type { ForgetQuery, RecallQuery } from '../memory/MemoryStore.js';
import type { Pose } from '../segment/Segment.js';
import { fromRosTime, toRosTime, type RosNanos, type RosTimeMsg } from '../time.js';

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

export function evidenceMsg(evidence: Evidence): rcl.taskmem.msg.Evidence {
  return {
    memory_id: evidence.memoryId,
    robot_id: evidence.robotId,
    start: toRosTime(evidence.start),
    end: toRosTime(evidence.end),
    text: evidence.text,
    has_pose: evidence.pose !== null,
    pose: poseStampedMsg(evidence.pose),
    score: evidence.score,
    matched_by: evidence.matchedBy,
    people: evidence.people,
  };
}

export function answerMsg(answer: Answer): rcl.taskmem.msg.Answer {
  return {
    question_id: answer.questionId,
    question: answer.question,
    asked_at: toRosTime(answer.askedAt),
    answer: answer.answer,
    abstained: answer.abstained,
    confidence: answer.confidence,
    chosen_index: answer.chosenIndex,
    evidence: answer.evidence.map(evidenceMsg),
    answered_by: answer.answeredBy,
  };
}

/** A ROS time field where zero means "open". */
export function optionalTime(t: RosTimeMsg): RosNanos | undefined {
  const ns = fromRosTime(t);
  return ns === 0n ? undefined : ns;
}

export function recallQuery(request: rcl.taskmem.srv.Recall_Request, defaultLimit: number): RecallQuery {
  const since = optionalTime(request.since);
  const until = optionalTime(request.until);
  return {
    ...(request.text.trim() ? { text: request.text } : {}),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(request.has_place ? { near: { x: request.x, y: request.y, radius: request.radius } } : {}),
    limit: request.limit > 0 ? request.limit : defaultLimit,
  };
}

/** The store query of a Forget request, or null when it names no criterion (which deletes nothing). */
export function forgetQuery(request: rcl.taskmem.srv.Forget_Request): ForgetQuery | null {
  const since = optionalTime(request.since);
  const until = optionalTime(request.until);
  const query: ForgetQuery = {
    ...(request.ids.length > 0 ? { ids: request.ids } : {}),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(request.text.trim() ? { text: request.text } : {}),
  };
  return Object.keys(query).length === 0 ? null : query;
}
