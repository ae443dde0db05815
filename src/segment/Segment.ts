import type { RosNanos } from '../time.js';
import type { Sighting } from './Sighting.js';

/** Where the robot was, from a pose topic, in the frame the topic gives. */
export interface Pose {
  stamp: RosNanos;
  frameId: string;
  x: number;
  y: number;
  z: number;
  /** Heading about +z in radians, derived from the orientation quaternion. */
  yaw: number;
}

/** One camera frame chosen to be shown to the model, already converted. */
export interface Keyframe {
  stamp: RosNanos;
  /** JPEG bytes; both sides are multiples of 32. */
  jpeg: Uint8Array;
  width: number;
  height: number;
}

/** A span of stream where the VAD heard speech. */
export interface SpeechSpan {
  start: RosNanos;
  end: RosNanos;
  /** Mean speech probability over the span. */
  probability: number;
}

/** A transcribed piece of speech. `speaker` is a persistent person id or "unknown". */
export interface TranscriptLine {
  start: RosNanos;
  end: RosNanos;
  speaker: string;
  text: string;
}

/**
 * A closed piece of stream, the unit one memory is written for. Invariants: `start < end`; every keyframe,
 * speech span, transcript line and pose stamp lies in [start, end); `index` counts segments within the episode
 * from 0, so (robotId, episode, start) identifies the segment across restarts and replays.
 */
export interface Segment {
  robotId: string;
  /** Increases when the clock jumps back (simulation reset) or a new recording starts. */
  episode: number;
  index: number;
  start: RosNanos;
  end: RosNanos;
  keyframes: Keyframe[];
  speech: SpeechSpan[];
  transcript: TranscriptLine[];
  /** Poses seen during the segment, oldest first; empty when no pose topic is configured. */
  poses: Pose[];
  /** Counters of what was dropped or rejected while this segment was open, by cause. */
  dropped: Record<string, number>;
  /**
   * What the scene detector saw in each keyframe (same order and length as `keyframes`); absent when no detection
   * ran (src/people/SegmentSight adds it before the segment is memorized).
   */
  sightings?: Sighting[];
}
