import { ConfigError } from '../config/schema.js';
import { parseAdapter } from '../config/sections/focus.js';
import type { FocusContext } from '../memorize/Memorizer.js';
import type { Task } from '../memory/MemoryStore.js';
import type { RosNanos } from '../time.js';
import type { TaskLog } from './TaskLog.js';

export interface TaskFocusOptions {
  taskLog: TaskLog;
  /** focus.depth: 0 off … 3 learned focus vector. */
  depth: number;
  /** focus.max_examples. */
  maxExamples: number;
  /** focus.adapters entries, `group=served_model`. */
  adapters: string[];
}

/**
 * What the robot should pay attention to right now, derived from the tasks it has been given: the active task
 * group, its recent examples and, when a served adapter is mapped to the group, that model. The pipeline asks
 * `context()` for every segment, so it is synchronous; the examples are refreshed whenever a task is noted.
 * Callers must `start()` once before use.
 */
export class TaskFocus {
  readonly #taskLog: TaskLog;
  readonly #maxExamples: number;
  readonly #adapters: Map<string, string>;
  #depth: number;
  #examples: string[] = [];

  constructor({ taskLog, depth, maxExamples, adapters }: TaskFocusOptions) {
    this.#taskLog = taskLog;
    this.#depth = depth;
    this.#maxExamples = maxExamples;
    this.#adapters = parseAdapters(adapters);
  }

  async start(): Promise<void> {
    await this.#taskLog.restore();
    await this.#refresh();
  }

  /** Logs a question or directive and updates the focus it implies. */
  async note(input: { text: string; stamp: RosNanos; group?: string; kind?: Task['kind'] }): Promise<Task> {
    const task = await this.#taskLog.log(input);
    await this.#refresh();
    return task;
  }

  /** Changes the depth at run time (`ros2 param set … focus.depth`). */
  setDepth(depth: number): void {
    this.#depth = depth;
  }

  get depth(): number {
    return this.#depth;
  }

  get activeGroup(): string | null {
    return this.#taskLog.activeGroup;
  }

  /** The focus for the next segment, or null when focus is off or no task has been given yet. */
  context(): FocusContext | null {
    const group = this.#taskLog.activeGroup;
    if (this.#depth === 0 || group === null) return null;
    const model = this.#adapters.get(group);
    return { group, examples: [...this.#examples], depth: this.#depth, ...(model ? { model } : {}) };
  }

  async #refresh(): Promise<void> {
    const group = this.#taskLog.activeGroup;
    this.#examples = group === null ? [] : await this.#taskLog.examples(group, this.#maxExamples);
  }
}

/** focus.adapters as a map from group to served model; the schema has refused malformed entries already. */
export function parseAdapters(entries: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const adapter = parseAdapter(entry);
    if (!adapter) throw new ConfigError(`TaskFocus: focus.adapters entry ${JSON.stringify(entry)} is not of the form group=served_model`);
    map.set(adapter.group, adapter.model);
  }
  return map;
}
