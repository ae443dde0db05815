import { z } from 'zod';
import { bool, double, integer } from '../param.js';

export const peopleParams = z.object({
  identify: bool({
    readOnly: true,
    default: true,
    description:
      'Tell people apart by face: face descriptors (biometric data) are kept in the store as identities person_1, person_2, … (taskmem people forget removes one). false: faces are counted, never described or kept.',
  }),
  match_similarity: double({
    readOnly: true,
    default: 0.7,
    min: 0,
    max: 1,
    description: "Cosine similarity to an identity's centroid from which a face is that person.",
  }),
  new_below: double({
    readOnly: true,
    default: 0.55,
    min: 0,
    max: 1,
    description:
      'A face less similar than this to every known person is a new person; between this and match_similarity it stays unrecognised (a look-alike is not guessed).',
  }),
  min_face_px: integer({
    readOnly: true,
    default: 32,
    min: 8,
    max: 1024,
    unit: 'px',
    description: 'Faces smaller than this (box side in the keyframe) are counted but not recognised: too few pixels to describe.',
  }),
  max_embeddings: integer({
    readOnly: true,
    default: 20,
    min: 1,
    max: 1000,
    description: "Face embeddings kept per person (the newest); the person's centroid is their mean.",
  }),
  attribute_speech: bool({
    readOnly: true,
    default: true,
    description:
      'Attribute a transcript line to a person when exactly one person, recognised, is visible while it is spoken; otherwise the speaker stays unknown.',
  }),
});

export type PeopleParams = z.infer<typeof peopleParams>;
