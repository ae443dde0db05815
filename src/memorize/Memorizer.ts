import type { Keyframe, Segment } from '../segment/Segment.js';
import type { Sighting } from '../segment/Sighting.js';
import type { FailedSegment, Memory } from '../memory/Memory.js';
import type { RosNanos } from '../time.js';

/** What the active task focus contributes to writing a memory (see src/focus). */
export interface FocusContext {
  group: string;
  /** Up to focus.max_examples recent tasks of the group, newest last. */
  examples: string[];
  /** 0 off, 1 conditioning, 2 reward model, 3 focus vector. */
  depth: number;
  /** Served model or adapter for this group, when focus.adapters maps one. */
  model?: string;
}

/** The frames shown to the policy of one earlier segment of the window (segment.window_fps). */
export interface SegmentFrames {
  segmentIndex: number;
  start: RosNanos;
  end: RosNanos;
  /** Oldest first. */
  frames: Keyframe[];
  /** What was seen in each frame (same order), when they were looked at (SegmentSight#framesSeen). */
  sightings?: Sighting[];
}

export interface MemorizeContext {
  /** Previous memories of the window, oldest first (at most segment.window_memories). */
  window: Memory[];
  /** Frames of the earlier segments of the window, oldest segment first; empty when segment.window_fps is 0. */
  windowFrames?: SegmentFrames[];
  focus: FocusContext | null;
}

/**
 * `unreachable` is true when the endpoint could not be reached at all (connection refused, DNS, timeout), as
 * opposed to answering badly; the pipeline then writes the segment with its fallback memorizer, if configured.
 */
export type MemorizeOutcome = { kind: 'memory'; memory: Memory } | { kind: 'failed'; failure: FailedSegment; unreachable?: boolean };

/**
 * Writes one memory for one segment. Implementations never return an empty or unparsed memory: a segment that
 * cannot be memorized within the retry bound comes back as `failed`. Aborting the signal ends in-flight requests.
 */
export interface Memorizer {
  readonly name: string;
  memorize(segment: Segment, context: MemorizeContext, signal?: AbortSignal): Promise<MemorizeOutcome>;
}
