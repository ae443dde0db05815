import sharp from 'sharp';
import { memoryId, type Memory } from '../../src/memory/Memory.js';
import type { Keyframe, Pose, Segment, TranscriptLine } from '../../src/segment/Segment.js';
import { NANOS_PER_SECOND, type RosNanos } from '../../src/time.js';

/** Segment length of the fixtures: the method's 10 s. */
export const SEGMENT_NS = 10n * NANOS_PER_SECOND;
/** An arbitrary robot clock origin (2026-11-21T14:00:00Z). */
export const T0: RosNanos = 1_795_269_600n * NANOS_PER_SECOND;

/** A real JPEG of one flat colour, 64×32 (sides multiples of 32, as the segmenter makes them). */
export async function colourJpeg(r: number, g: number, b: number): Promise<Uint8Array> {
  const jpeg = await sharp({ create: { width: 64, height: 32, channels: 3, background: { r, g, b } } })
    .jpeg()
    .toBuffer();
  return new Uint8Array(jpeg);
}

export interface SegmentFixture {
  index: number;
  keyframes?: number;
  transcript?: { at: number; speaker: string; text: string }[];
  poses?: { at: number; x: number; y: number }[];
}

/** Segment `index` of episode 0 of robot "r1", 10 s long, with real JPEG keyframes spread over it. */
export async function segmentFixture({ index, keyframes = 2, transcript = [], poses = [] }: SegmentFixture): Promise<Segment> {
  const start = T0 + BigInt(index) * SEGMENT_NS;
  const at = (s: number) => start + BigInt(Math.round(s * 1e9));
  const frames: Keyframe[] = [];
  for (let i = 0; i < keyframes; i++) {
    frames.push({ stamp: at((10 * (i + 0.5)) / keyframes), jpeg: await colourJpeg(40 * i, 100, 200), width: 64, height: 32 });
  }
  const lines: TranscriptLine[] = transcript.map((l) => ({ start: at(l.at), end: at(l.at + 1), speaker: l.speaker, text: l.text }));
  const poseList: Pose[] = poses.map((p) => ({ stamp: at(p.at), frameId: 'map', x: p.x, y: p.y, z: 0, yaw: 0 }));
  return {
    robotId: 'r1',
    episode: 0,
    index,
    start,
    end: start + SEGMENT_NS,
    keyframes: frames,
    speech: [],
    transcript: lines,
    poses: poseList,
    dropped: {},
  };
}

/** A stored policy memory of segment `index` with the given text. */
export function memoryFixture(index: number, text: string): Memory {
  const start = T0 + BigInt(index) * SEGMENT_NS;
  return {
    id: memoryId('r1', 0, start),
    robotId: 'r1',
    episode: 0,
    segmentIndex: index,
    start,
    end: start + SEGMENT_NS,
    createdAt: start + SEGMENT_NS,
    text,
    source: 'policy',
    taskGroup: null,
    focusDepth: 0,
    quality: { format: true, hygiene: true, preference: null, descriptionTokens: 10 },
    pose: null,
    model: 'm',
    template: 'memorize@1',
    transcript: [],
    people: [],
    thumbnails: [],
  };
}
