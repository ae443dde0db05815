import type { Memory } from '../memory/Memory.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import { NANOS_PER_SECOND, type RosNanos } from '../time.js';
import { DAY1_MIDNIGHT, type BenchStream, type MemorySource } from './BenchPlan.js';

/** More memories than any stream holds (a day at one memory per 10 s is 8,640). */
const ALL = 1_000_000;

/** Every memory of a robot that existed at `asOf` (all of them when null), in time order. */
export async function memoriesOf(store: MemoryStore, robotId: string, asOf: RosNanos | null): Promise<Memory[]> {
  const { memories: hits } = await store.recall({ robotId, limit: ALL, ...(asOf === null ? {} : { asOf }) });
  return hits.map((h) => h.memory).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/**
 * The memory text the paper's answerer reads, in the reference's layout: "Description:" and then one block per
 * memory, "start-end" on its own line above the description, blocks separated by a blank line. Times are
 * HH:MM:SS from the start of the stream, or the real day and time of an EgoLife day recording. With evidence
 * clips, the current clip comes first under "=== CURRENT clip memories ===" and the target clips under
 * "=== TARGET clip memories ===", each below its day-and-time label. Memory text is shown as written, as the
 * reference shows it.
 */
export function memoryText(sources: { source: MemorySource; stream: BenchStream; memories: Memory[] }[]): string {
  const described = (stream: BenchStream, memories: Memory[]) => {
    const time = clockOf(stream);
    return `Description:\n\n${memories.map((m) => `${time(m.start)}-${time(m.end)}\n${m.text}`).join('\n\n')}`;
  };
  if (sources.every((s) => s.source.label === null)) return sources.map((s) => described(s.stream, s.memories)).join('\n\n');
  const [current, ...targets] = sources.map((s) => `${s.source.label ?? s.source.robotId}\n${described(s.stream, s.memories)}`);
  return `=== CURRENT clip memories ===\n${current}\n\n=== TARGET clip memories ===\n${targets.join('\n\n')}`;
}

/** How times of a stream are shown: from its start, or as the real day and time. */
export function clockOf(stream: BenchStream): (stamp: RosNanos) => string {
  if (stream.timeLabels === 'day') return dayClock;
  const start = stream.parts[0]?.base ?? 0n;
  return (stamp) => hms(stamp < start ? 0n : (stamp - start) / NANOS_PER_SECOND);
}

/** "DAY2 11:21:02" for a ROS time on the EgoLife calendar. */
export function dayClock(stamp: RosNanos): string {
  const seconds = (stamp - DAY1_MIDNIGHT) / NANOS_PER_SECOND;
  return `DAY${seconds / 86_400n + 1n} ${hms(seconds % 86_400n)}`;
}

function hms(seconds: bigint): string {
  const pad = (n: bigint) => String(n).padStart(2, '0');
  return `${pad(seconds / 3600n)}:${pad((seconds / 60n) % 60n)}:${pad(seconds % 60n)}`;
}
