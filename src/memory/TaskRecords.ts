import type { RosNanos } from '../time.js';

/** A question or task goal the robot received, logged for task focus. */
export interface Task {
  id: string;
  robotId: string;
  stamp: RosNanos;
  text: string;
  group: string;
  /** 'ask' for questions, 'directive' for explicit focus directives. */
  kind: 'ask' | 'directive';
}

/** What was answered to a task (a question), kept so that a report shows each question with its evidence. */
export interface TaskAnswer {
  /** The answer; empty when abstained or when no model answered and the evidence was the answer. */
  text: string;
  abstained: boolean;
  /** 0..1; 0 when no model answered. */
  confidence: number;
  /** Ids of the memories the answer rests on, most relevant first. */
  evidence: string[];
  /** Served model name; empty when no model answered. */
  answeredBy: string;
}

export interface AnsweredTask extends Task {
  /** null when no answer was recorded (not answered, or answering failed). */
  answer: TaskAnswer | null;
}

/** Which tasks to list; every filter is optional. */
export interface TaskQuery {
  robotId?: string;
  /** Only tasks logged at or after `since` and before `until`. */
  since?: RosNanos;
  until?: RosNanos;
}

/** The log of tasks the robot was given and the answers recorded for them. */
export interface TaskRecords {
  /** Logs a task; a task id logged before is kept as it was. */
  logTask(task: Task): Promise<void>;
  /** The robot's latest `limit` tasks (of one group when given), newest first. */
  recentTasks(robotId: string, limit: number, group?: string): Promise<Task[]>;
  /** Records the answer to a logged task, replacing an earlier one; a task id that was never logged is an error. */
  recordAnswer(taskId: string, answer: TaskAnswer): Promise<void>;
  /** Logged tasks, oldest first, each with its recorded answer or null. */
  answeredTasks(query?: TaskQuery): Promise<AnsweredTask[]>;
}
