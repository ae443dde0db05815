import type { RosNanos } from '../time.js';
import type { Pose } from '../segment/Segment.js';

/** Who wrote a memory: the policy model, or the embedded perception memorizer (no model server). */
export type MemorySource = 'policy' | 'perception';

/** Scores from the quality gate and, at focus depth 2 and 3, from the reward model. null: not measured. */
export interface QualityScores {
  format: boolean;
  hygiene: boolean | null;
  /** Share of pairwise judge verdicts won (depth 2), or the focus-vector score (depth 3). */
  preference: number | null;
  descriptionTokens: number;
}

/**
 * One stored memory. `id` is deterministic in (robotId, episode, start), so writing the same segment twice
 * (a replay, a restart) yields the same id and the store keeps one row.
 */
export interface Memory {
  id: string;
  robotId: string;
  episode: number;
  segmentIndex: number;
  start: RosNanos;
  end: RosNanos;
  /** ROS time at which the memory was written; a question asked at time t sees only memories with createdAt <= t. */
  createdAt: RosNanos;
  text: string;
  source: MemorySource;
  /** Task group the memory was written under; null when no focus was active. */
  taskGroup: string | null;
  focusDepth: number;
  quality: QualityScores;
  /** Pose at the middle of the segment, when a pose topic is configured. */
  pose: Pose | null;
  model: string;
  /** Prompt template id and version, e.g. "memorize@3". */
  template: string;
  /** Transcript lines that were in the segment, kept so answers can quote what was said. */
  transcript: string[];
  /** Ids of the people recognised by face in the segment (person_1, …), sorted; see IdentityStore. */
  people: string[];
  /** Optional JPEG thumbnails of the keyframes. */
  thumbnails: Uint8Array[];
}

/** A segment the memorizer could not turn into a memory; kept so `taskmem remember --again` can retry it. */
export interface FailedSegment {
  id: string;
  robotId: string;
  episode: number;
  segmentIndex: number;
  start: RosNanos;
  end: RosNanos;
  reason: string;
  attempts: number;
}

/** Deterministic memory id: robot, episode and segment start (ROS ns). */
export function memoryId(robotId: string, episode: number, start: RosNanos): string {
  return `${robotId}/${episode}/${start}`;
}
