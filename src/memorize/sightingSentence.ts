import type { ImageBox } from '../media/ImageBox.js';
import type { Segment } from '../segment/Segment.js';
import type { Sighting } from '../segment/Sighting.js';
import { clock } from './prompts.js';

/** Most kinds of thing named in one memory; the rest are counted. */
const MAX_ITEMS = 12;

interface Item {
  label: string;
  /** How many in the first image it was seen in, and most in one image. */
  initial: number;
  count: number;
  /** Images it was seen in. */
  images: number;
  /** Index of the first keyframe it was seen in, and where in it. */
  first: number;
  box: ImageBox;
  /** People only: ids in order of first recognition, and faces seen but not recognised (most in one image). */
  ids: string[];
  unrecognised: number;
}

/**
 * What the detectors saw in a segment's keyframes, in one sentence grouped by when things first came into view,
 * with how many (most in one image; "1 to 3 people" when more came), where (left, middle, right of the image) and in how many images: "Seen in the camera images: at
 * 14:00:01.0 a person (person_3) on the left (in 5 of 8) and a cup in the middle (in 3 of 8); later, at
 * 14:00:06.5, a laptop on the right (in 2 of 8)." Views that were not examined are counted, so a reader knows what
 * was not looked at. Empty when the segment has no camera images.
 */
export function sightingSentence(segment: Segment): string {
  const { keyframes, sightings } = segment;
  if (keyframes.length === 0) return '';
  if (!sightings) return 'Objects and people were not looked for.';
  const images = keyframes.length;
  const items = new Map<string, Item>();
  sightings.forEach((sighting, frame) => {
    for (const [label, boxes] of byLabel(sighting)) {
      const item = items.get(label) ?? {
        label,
        initial: boxes.length,
        count: 0,
        images: 0,
        first: frame,
        box: boxes[0]!,
        ids: [],
        unrecognised: 0,
      };
      item.count = Math.max(item.count, boxes.length);
      item.images++;
      if (label === 'person') {
        for (const face of sighting.faces) if (face.personId && !item.ids.includes(face.personId)) item.ids.push(face.personId);
        item.unrecognised = Math.max(item.unrecognised, sighting.faces.filter((f) => f.personId === null).length);
      }
      items.set(label, item);
    }
  });
  const skipped = sightings.filter((s) => !s.examined).length;
  const why = 'for objects and people (detection budget spent)';
  const notExamined =
    skipped === 0
      ? ''
      : skipped === images
        ? images === 1
          ? ` The camera image was not examined ${why}.`
          : ` None of the ${images} camera images was examined ${why}.`
        : ` ${skipped} of the ${images} camera images ${skipped === 1 ? 'was' : 'were'} not examined ${why}.`;
  if (items.size === 0) {
    return skipped === images ? notExamined.trim() : `No objects or people were seen in the camera images.${notExamined}`;
  }
  // People first among things first seen together, then by how often seen.
  const ordered = [...items.values()].sort(
    (a, b) => a.first - b.first || Number(b.label === 'person') - Number(a.label === 'person') || b.images - a.images,
  );
  const shown = ordered.slice(0, MAX_ITEMS);
  const groups: string[] = [];
  for (const frame of [...new Set(shown.map((i) => i.first))]) {
    const phrases = shown.filter((i) => i.first === frame).map((i) => phrase(i, keyframes[frame]!.width, images));
    const when = frame === 0 ? `at ${clock(keyframes[0]!.stamp)}` : `later, at ${clock(keyframes[frame]!.stamp)},`;
    groups.push(`${when} ${list(phrases)}`);
  }
  const more = ordered.length > shown.length ? ` (and ${ordered.length - shown.length} more kinds of thing)` : '';
  return `Seen in the camera images: ${groups.join('; ')}${more}.${notExamined}`;
}

/** The boxes of each kind of thing in one sighting; people counted by person boxes or faces, whichever are more. */
function byLabel(sighting: Sighting): Map<string, ImageBox[]> {
  const boxes = new Map<string, ImageBox[]>();
  for (const object of sighting.objects) boxes.set(object.label, [...(boxes.get(object.label) ?? []), object.box]);
  const persons = boxes.get('person') ?? [];
  if (sighting.faces.length > persons.length)
    boxes.set(
      'person',
      sighting.faces.map((f) => f.box),
    );
  return boxes;
}

function phrase(item: Item, width: number, images: number): string {
  const what =
    item.count === 1
      ? `${article(item.label)} ${item.label}`
      : `${item.initial < item.count ? `${item.initial} to ` : ''}${item.count} ${plural(item.label)}`;
  const who = item.label === 'person' ? people(item) : '';
  const where = side(item.box, width);
  return `${what}${who} ${where}${images > 1 ? ` (in ${item.images} of ${images})` : ''}`;
}

/** " (person_1, person_4 and one not recognised)"; empty when no face was seen. */
function people(item: Item): string {
  const parts = [...item.ids];
  if (item.unrecognised > 0) parts.push(item.unrecognised === 1 ? 'one not recognised' : `${item.unrecognised} not recognised`);
  return parts.length === 0 ? '' : ` (${list(parts)})`;
}

function side(box: ImageBox, width: number): string {
  const x = (box.left + box.width / 2) / width;
  return x < 1 / 3 ? 'on the left' : x > 2 / 3 ? 'on the right' : 'in the middle';
}

function list(parts: string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

function article(label: string): string {
  return label === 'scissors' || label === 'skis' ? 'a pair of' : /^[aeiou]/.test(label) ? 'an' : 'a';
}

/** COCO's class names in the plural. */
function plural(label: string): string {
  const irregular: Record<string, string> = {
    person: 'people',
    mouse: 'mice',
    knife: 'knives',
    skis: 'pairs of skis',
    scissors: 'pairs of scissors',
  };
  if (irregular[label]) return irregular[label];
  return /(s|sh|ch|x)$/.test(label) ? `${label}es` : `${label}s`;
}
