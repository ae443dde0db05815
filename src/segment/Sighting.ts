import type { ImageBox } from '../media/ImageBox.js';

/** An object of one of COCO's 80 classes seen in a keyframe. */
export interface SeenObject {
  label: string;
  confidence: number;
  box: ImageBox;
}

/** A face seen in a keyframe, with the id of the person it was recognised as; null when it was not. */
export interface SeenFace {
  personId: string | null;
  /** The name a user gave that person (`taskmem people name`) when the face was seen; null: none, or not recognised. */
  name: string | null;
  confidence: number;
  box: ImageBox;
}

/**
 * What the detectors saw in one keyframe, boxes in the keyframe's pixels, only what passed the confidence
 * thresholds. `examined` is false for a view that was not examined: none of the segment's detection budget was
 * left for it; its lists are then empty and mean nothing.
 */
export interface Sighting {
  examined: boolean;
  objects: SeenObject[];
  faces: SeenFace[];
}

/** What a view not examined is said to show: nothing known (see `Sighting.examined`). */
export const NOT_EXAMINED: Sighting = { examined: false, objects: [], faces: [] };

/** The ids of the people recognised in a segment's sightings, sorted by number (person_2 before person_10). */
export function peopleSeen(sightings: readonly Sighting[] | undefined): string[] {
  const ids = new Set((sightings ?? []).flatMap((s) => s.faces.map((f) => f.personId).filter((id): id is string => id !== null)));
  return [...ids].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}
