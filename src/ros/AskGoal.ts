import { randomUUID } from 'node:crypto';
import type * as rcl from 'rclnodejs';
import type { Answer, AskFeedback } from '../answer/Answer.js';
import { askAsTask, type AskAsTaskParts } from '../answer/askAsTask.js';
import { robotFilter } from '../answer/robotFilter.js';
import type { RosNanos } from '../time.js';
import type { GoalHandle } from './Rclnodejs.js';
import { answerMsg, optionalTime } from './rosMessages.js';

export type AskAction = 'taskmem/action/Ask';

/** rclnodejs tells an execute callback of a cancel request only through the goal handle's state: it is polled. */
const CANCEL_POLL_MS = 50;

export interface AskGoalContext extends AskAsTaskParts {
  /** This robot (robot_id): its memories answer unless the goal names another robot, or `*` for every robot. */
  robotId: string;
  /** The node's ROS time when the goal arrived: only memories created by then are used. */
  askedAt: RosNanos;
  /** Called with the answer of a goal that succeeded (the node publishes it on ~/answers, its evidence on ~/answer_markers). */
  onAnswer(message: rcl.taskmem.msg.Answer, answer: Answer): void;
}

/**
 * Executes one taskmem/action/Ask goal as the robot takes every question (askAsTask): logged as a task of the
 * goal's group, answered from memory as of `askedAt` with feedback at each stage, the answer recorded. The goal
 * ends succeeded with the answer; canceled when the client asked (the answer, if any, not recorded); aborted
 * with an empty answer when answering failed, which is logged. Never throws.
 */
export async function executeAskGoal(goalHandle: GoalHandle<AskAction>, context: AskGoalContext): Promise<rcl.taskmem.action.Ask_Result> {
  const goal = goalHandle.request;
  const id = uuidString(goalHandle.goalId.uuid);
  const controller = new AbortController();
  const poll = setInterval(() => {
    if (goalHandle.isCancelRequested) controller.abort(new Error('cancelled by the client'));
  }, CANCEL_POLL_MS);
  const since = optionalTime(goal.since);
  const until = optionalTime(goal.until);
  const robotId = robotFilter(goal.robot, context.robotId);
  try {
    const { answer } = await askAsTask(context, goal.question, {
      askedAt: context.askedAt,
      id,
      ...(robotId === undefined ? {} : { robotId }),
      choices: goal.choices,
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      ...(goal.task_group ? { taskGroup: goal.task_group } : {}),
      signal: controller.signal,
      onFeedback: (feedback: AskFeedback) =>
        goalHandle.publishFeedback({ stage: feedback.stage, memories_considered: feedback.memoriesConsidered }),
    });
    const message = answerMsg(answer);
    if (goalHandle.isCancelRequested) {
      goalHandle.canceled();
      return { answer: message };
    }
    goalHandle.succeed();
    context.onAnswer(message, answer);
    return { answer: message };
  } catch (error) {
    const empty = answerMsg(emptyAnswer(id, goal.question, context.askedAt));
    if (goalHandle.isCancelRequested) {
      goalHandle.canceled();
      return { answer: empty };
    }
    context.logger.error(`taskmem: question "${goal.question}" failed: ${(error as Error).message}`);
    goalHandle.abort();
    return { answer: empty };
  } finally {
    clearInterval(poll);
  }
}

/** The goal's UUID bytes as the usual hyphenated string; a fresh one when the bytes are not 16. */
function uuidString(bytes: ArrayLike<number>): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return hex.length === 32
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : randomUUID();
}

function emptyAnswer(questionId: string, question: string, askedAt: RosNanos): Answer {
  return {
    questionId,
    question,
    askedAt,
    answer: '',
    abstained: true,
    confidence: 0,
    chosenIndex: -1,
    choice: null,
    evidence: [],
    answeredBy: '',
    retrieval: { mode: 'full-text', searches: [], considered: 0 },
    notes: [],
  };
}
