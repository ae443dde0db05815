import type { Segment } from '../segment/Segment.js';
import { memoryId, type FailedSegment, type Memory } from './Memory.js';

/** What a memory or a failed segment takes from the segment it is about: the deterministic id, robot, episode, index and span. */
export type SegmentIdentity = Pick<Memory, 'id' | 'robotId' | 'episode' | 'segmentIndex' | 'start' | 'end'>;

export function segmentIdentity(segment: Pick<Segment, 'robotId' | 'episode' | 'index' | 'start' | 'end'>): SegmentIdentity {
  return {
    id: memoryId(segment.robotId, segment.episode, segment.start),
    robotId: segment.robotId,
    episode: segment.episode,
    segmentIndex: segment.index,
    start: segment.start,
    end: segment.end,
  };
}

/** The record of a segment that `attempts` tries did not turn into a memory, and why. */
export function failedSegment(segment: Segment, reason: string, attempts: number): FailedSegment {
  return { ...segmentIdentity(segment), reason, attempts };
}
