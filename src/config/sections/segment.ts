import { z } from 'zod';
import { double, integer } from '../param.js';

export const segmentParams = z.object({
  duration_s: double({
    default: 10,
    min: 1,
    max: 600,
    unit: 's',
    description: 'Length of one segment of stream; one memory is written per segment.',
  }),
  window_s: double({
    default: 50,
    min: 0,
    max: 3600,
    unit: 's',
    description: 'Length of the window the policy sees: the previous memories inside it plus the new segment.',
  }),
  window_memories: integer({ default: 4, min: 0, max: 32, description: 'Most previous memories of the window given to the policy.' }),
  window_fps: double({
    default: 0,
    min: 0,
    max: 10,
    unit: 'Hz',
    description:
      "Frames per second shown to the policy of each earlier segment of the window, beside its description (at most segment.keyframes per segment); 0: only the new segment's keyframes.",
  }),
  keyframes: integer({
    default: 8,
    min: 1,
    max: 64,
    description: 'Keyframes kept per segment, spread evenly over it; other frames are never decoded.',
  }),
  reorder_tolerance_s: double({
    default: 0.5,
    min: 0,
    max: 10,
    unit: 's',
    description: 'How late a message may arrive and still be placed in its segment; later ones are counted and dropped.',
  }),
  max_pending_frames: integer({
    default: 64,
    min: 1,
    max: 4096,
    description: 'Bound on frames held before conversion; beyond it the oldest unconverted candidate is dropped and counted.',
  }),
});

export type SegmentParams = z.infer<typeof segmentParams>;
