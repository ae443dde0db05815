import type { Logger } from '../log.js';
import type { Task, TaskAnswer } from '../memory/MemoryStore.js';
import type { RosNanos } from '../time.js';
import { taskAnswer, type Answer } from './Answer.js';
import type { AskOptions } from './Answerer.js';

/** Logs a question as a task and lets the focus it implies follow (TaskFocus#note). */
export interface TaskNoter {
  note(input: { text: string; stamp: RosNanos; group?: string; kind?: Task['kind'] }): Promise<Task>;
}

/** What a question asked as a task needs: where it is logged, what answers it, where its answer is kept. */
export interface AskAsTaskParts {
  focus: TaskNoter;
  answerer: { ask(question: string, options: AskOptions): Promise<Answer> };
  store: { recordAnswer(taskId: string, answer: TaskAnswer): Promise<void> };
  logger: Logger;
}

/**
 * How the robot takes a question, the same for the node's `~/ask`, `taskmem ask` and the demo: the question is
 * logged as a task of its group (`taskGroup`, else the grouper's), so task focus learns from it; it is answered
 * from memory alone as of `askedAt` (the answer's id is the task's unless `id` is given); and the answer is kept
 * beside the task for `taskmem report`. A question whose `signal` was aborted is not recorded; a store that cannot
 * keep the answer costs the record only (a warning), never the answer.
 */
export async function askAsTask(
  { focus, answerer, store, logger }: AskAsTaskParts,
  question: string,
  options: AskOptions,
): Promise<{ task: Task; answer: Answer }> {
  const task = await focus.note({
    text: question,
    stamp: options.askedAt,
    kind: 'ask',
    ...(options.taskGroup ? { group: options.taskGroup } : {}),
  });
  const answer = await answerer.ask(question, { ...options, id: options.id ?? task.id });
  if (!options.signal?.aborted) {
    await store
      .recordAnswer(task.id, taskAnswer(answer))
      .catch((error: unknown) => logger.warn(`the answer to "${question}" was not recorded: ${(error as Error).message}`));
  }
  return { task, answer };
}
