import { z } from 'zod';
import { bool, double } from '../param.js';

export const perceptionParams = z.object({
  detect: bool({
    readOnly: true,
    default: true,
    description:
      'Detect objects (COCO classes, CenterNet) and faces (BlazeFace) in the keyframes whose view changed, on the CPU; the perception memorizer names them and people get ids (people.*).',
  }),
  budget_s: double({
    readOnly: true,
    default: 0.8,
    min: 0,
    max: 10,
    unit: 's',
    description:
      'CPU seconds of detection per segment on average: unspent time carries over (up to 3 segments worth), a changed view waits when none is left and is reported as not examined. 0: no detection.',
  }),
  min_confidence: double({
    readOnly: true,
    default: 0.45,
    min: 0,
    max: 1,
    description: 'Objects detected with a lower score are not mentioned.',
  }),
  min_face_confidence: double({
    readOnly: true,
    default: 0.6,
    min: 0,
    max: 1,
    description: 'Faces detected with a lower score are ignored; a face also counts only inside a detected person.',
  }),
});

export type PerceptionParams = z.infer<typeof perceptionParams>;
