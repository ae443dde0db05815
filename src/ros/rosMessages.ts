/**
 * Conversions between taskmem's domain values and the taskmem ROS interfaces (msg/, srv/, action/), typed by the
 * generated rclnodejs message declarations so a field the .msg files do not have fails to compile. The Memory
 * message is converted in src/bag/MemoryMessage.ts, shared with the MCAP writer.
 */
import type * as rcl from 'rclnodejs';
import type { Answer, Evidence } from '../answer/Answer.js';
import { poseStampedMsg } from '../bag/MemoryMessage.js';
import type { ForgetQuery, RecallQuery } from '../memory/MemoryStore.js';
import { fromRosTime, toRosTime, type RosNanos, type RosTimeMsg } from '../time.js';

export function evidenceMsg(evidence: Evidence): rcl.taskmem.msg.Evidence {
  return {
    memory_id: evidence.memoryId,
    start: toRosTime(evidence.start),
    end: toRosTime(evidence.end),
    text: evidence.text,
    has_pose: evidence.pose !== null,
    pose: poseStampedMsg(evidence.pose),
    score: evidence.score,
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
