import type { SegmentParams } from '../config/sections/segment.js';
import type { SegmentFrames } from '../memorize/Memorizer.js';
import type { Keyframe, Segment } from '../segment/Segment.js';
import { secondsToNanos } from '../time.js';

/**
 * Frames shown of each earlier segment of the window: segment.window_fps over segment.duration_s, taken from the
 * segment's keyframes; 0 when window_fps is 0. More than the segment keeps is a configuration error.
 */
export function windowFramesPerSegment(segment: Pick<SegmentParams, 'window_fps' | 'duration_s' | 'keyframes'>): number {
  const perSegment = Math.round(segment.window_fps * segment.duration_s);
  if (perSegment > segment.keyframes) {
    throw new Error(
      `parameter segment.window_fps = ${segment.window_fps}: ${perSegment} frames per ${segment.duration_s} s segment, but segment.keyframes keeps ${segment.keyframes}; ` +
        `raise segment.keyframes to at least ${perSegment}`,
    );
  }
  return segment.window_fps > 0 ? Math.max(1, perSegment) : 0;
}

export interface WindowFramesOptions {
  /** Frames kept of each segment (`windowFramesPerSegment`). */
  perSegment: number;
  /** segment.window_s */
  windowS: number;
}

/**
 * The recent segments' frames of one stream, for the policy to see the whole window and not only the new
 * segment. Segments are added in the order the segmenter closes them; each gets the frames of the earlier
 * segments of its episode that start inside its window. Only `perSegment` frames of a segment are kept, spread
 * evenly over its keyframes, and only as long as a later segment's window can reach them.
 */
export class WindowFrames {
  readonly #perSegment: number;
  readonly #window: bigint;
  #recent: { episode: number; frames: SegmentFrames }[] = [];

  constructor({ perSegment, windowS }: WindowFramesOptions) {
    this.#perSegment = perSegment;
    this.#window = secondsToNanos(windowS);
  }

  /** Keeps the segment's frames and returns those of the earlier segments in its window, oldest first. */
  add(segment: Segment): SegmentFrames[] {
    const from = segment.end - this.#window;
    const earlier = this.#recent
      .filter((r) => r.episode === segment.episode && r.frames.start >= from && r.frames.start < segment.start)
      .map((r) => r.frames);
    this.#recent = this.#recent.filter((r) => r.episode === segment.episode && r.frames.start >= from);
    this.#recent.push({
      episode: segment.episode,
      frames: { segmentIndex: segment.index, start: segment.start, end: segment.end, frames: spread(segment.keyframes, this.#perSegment) },
    });
    return earlier;
  }
}

/** `n` of the keyframes, evenly spread (all of them when there are no more than `n`). */
function spread(keyframes: Keyframe[], n: number): Keyframe[] {
  if (keyframes.length <= n) return keyframes;
  return Array.from({ length: n }, (_, i) => keyframes[Math.floor(((i + 0.5) * keyframes.length) / n)]!);
}
