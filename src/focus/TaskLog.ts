import type { Task, TaskRecords } from '../memory/TaskRecords.js';
import type { RosNanos } from '../time.js';
import type { TaskGrouper } from './TaskGrouper.js';

export interface TaskLogOptions {
  store: TaskRecords;
  robotId: string;
  grouper: TaskGrouper;
  /** Tasks of a new group after which it becomes the active group (focus.switch_after). */
  switchAfter: number;
  /** How many recent tasks to consider when deciding the active group on start-up. */
  history?: number;
}

/**
 * Every question and focus directive the robot receives, stored durably with its time and task group, and the
 * active group they imply. The active group changes only after `switchAfter` tasks of another group in a row, so
 * one stray question does not throw away what the robot has learnt to look for (the paper's demo switched on the
 * third question of a new type). Callers must `restore()` once before `log()`.
 */
export class TaskLog {
  readonly #store: TaskRecords;
  readonly #robotId: string;
  readonly #grouper: TaskGrouper;
  readonly #switchAfter: number;
  readonly #history: number;
  #active: string | null = null;
  #challenger: { group: string; count: number } | null = null;
  #sequence = 0;

  constructor({ store, robotId, grouper, switchAfter, history = 200 }: TaskLogOptions) {
    this.#store = store;
    this.#robotId = robotId;
    this.#grouper = grouper;
    this.#switchAfter = switchAfter;
    this.#history = history;
  }

  /** Replays the stored tasks so a restarted robot keeps its active group. */
  async restore(): Promise<void> {
    const tasks = await this.#store.recentTasks(this.#robotId, this.#history);
    this.#active = null;
    this.#challenger = null;
    for (const task of [...tasks].sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0))) this.#advance(task.group);
    this.#sequence = tasks.length;
  }

  /** Logs a task; its group is the given one or the grouper's. Returns the stored task. */
  async log(input: { text: string; stamp: RosNanos; group?: string; kind?: Task['kind'] }): Promise<Task> {
    const group = input.group?.trim() || (await this.#grouper.group(input.text));
    const task: Task = {
      id: `${this.#robotId}/task/${input.stamp}/${this.#sequence++}`,
      robotId: this.#robotId,
      stamp: input.stamp,
      text: input.text,
      group,
      kind: input.kind ?? 'ask',
    };
    await this.#store.logTask(task);
    this.#advance(group);
    return task;
  }

  /** The group memories are currently written for; null before any task. */
  get activeGroup(): string | null {
    return this.#active;
  }

  /** Up to `limit` recent task texts of a group, newest last. */
  async examples(group: string, limit: number): Promise<string[]> {
    const tasks = await this.#store.recentTasks(this.#robotId, limit, group);
    return tasks.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0)).map((t) => t.text);
  }

  #advance(group: string): void {
    if (this.#active === null || group === this.#active) {
      this.#active ??= group;
      this.#challenger = null;
      return;
    }
    const count = this.#challenger?.group === group ? this.#challenger.count + 1 : 1;
    if (count >= this.#switchAfter) {
      this.#active = group;
      this.#challenger = null;
    } else {
      this.#challenger = { group, count };
    }
  }
}
