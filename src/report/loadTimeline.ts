import type { Memory } from '../memory/Memory.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import type { RosNanos } from '../time.js';
import type { TimelineQuestion } from './TimelineReport.js';

/** The page stays a few megabytes with thumbnails; a longer span is read in slices with --since/--until. */
export const MAX_MEMORIES = 5000;

export interface TimelineFilter {
  robotId?: string;
  since?: RosNanos;
  until?: RosNanos;
}

/** The memories (oldest first, at most MAX_MEMORIES of the newest) and the questions with their recorded answers. */
export async function loadTimeline(
  store: MemoryStore,
  filter: TimelineFilter,
): Promise<{ memories: Memory[]; questions: TimelineQuestion[]; truncated: boolean }> {
  const { memories: scored } = await store.recall({ ...filter, limit: MAX_MEMORIES + 1 });
  const memories = scored
    .slice(0, MAX_MEMORIES)
    .map((s) => s.memory)
    .reverse();
  const tasks = await store.answeredTasks(filter);
  const questions = tasks
    .filter((t) => t.kind === 'ask')
    .map((t) => ({ id: t.id, text: t.text, askedAt: t.stamp, group: t.group, answer: t.answer }));
  return { memories, questions, truncated: scored.length > MAX_MEMORIES };
}
