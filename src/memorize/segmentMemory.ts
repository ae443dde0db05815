import type { Memory } from '../memory/Memory.js';
import { segmentIdentity, type SegmentIdentity } from '../memory/segmentIdentity.js';
import type { Segment } from '../segment/Segment.js';
import { peopleSeen } from '../segment/Sighting.js';
import { nearestPose, transcriptLine } from './prompts.js';

/** What a memorizer wrote about a segment; the rest of the memory comes from the segment itself. */
export type WrittenMemory = Omit<Memory, keyof SegmentIdentity | 'pose' | 'transcript' | 'people' | 'thumbnails'>;

/**
 * The memory of `segment` with what was written about it: the segment's identity, the pose nearest its middle,
 * its transcript lines and the people recognised in its keyframes. Thumbnails are left empty: the pipeline makes
 * them once for the memory it stores, however many candidates were written (store.thumbnails).
 */
export function segmentMemory(segment: Segment, written: WrittenMemory): Memory {
  return {
    ...segmentIdentity(segment),
    ...written,
    pose: nearestPose(segment.poses, segment.start + (segment.end - segment.start) / 2n),
    transcript: segment.transcript.map(transcriptLine),
    people: peopleSeen(segment.sightings),
    thumbnails: [],
  };
}
