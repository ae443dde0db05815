import assert from 'node:assert/strict';
import type { ImageBox } from '../media/ImageBox.js';
import type { Keyframe, Segment } from '../segment/Segment.js';
import type { Sighting } from '../segment/Sighting.js';
import { NANOS_PER_SECOND, secondsToNanos } from '../time.js';
import { sightingSentence } from './sightingSentence.js';

const T0 = 1_795_269_600n * NANOS_PER_SECOND;
const box = (left: number): ImageBox => ({ left, top: 50, width: 60, height: 60 });
const object = (label: string, left: number, confidence = 0.6) => ({ label, confidence, box: box(left) });
const face = (personId: string | null, left: number) => ({ personId, name: null, confidence: 0.9, box: box(left) });

function segment(sightings: Sighting[] | undefined, images = sightings?.length ?? 0): Segment {
  const keyframes: Keyframe[] = Array.from({ length: images }, (_, i) => ({
    stamp: T0 + secondsToNanos(i * 2),
    jpeg: new Uint8Array(),
    width: 448,
    height: 320,
  }));
  return {
    robotId: 'r',
    episode: 0,
    index: 0,
    start: T0,
    end: T0 + secondsToNanos(10),
    keyframes,
    speech: [],
    transcript: [],
    poses: [],
    dropped: {},
    ...(sightings ? { sightings } : {}),
  };
}

describe('sightingSentence', () => {
  it('groups things by when they came into view, with counts, sides, ids and images seen in', () => {
    const first: Sighting = {
      examined: true,
      objects: [object('person', 20), object('cup', 200), object('cup', 260)],
      faces: [face('person_3', 30)],
    };
    const later: Sighting = {
      examined: true,
      objects: [object('person', 20), object('laptop', 380)],
      faces: [face('person_3', 30), face(null, 150), face('person_12', 250)],
    };
    assert.equal(
      sightingSentence(segment([first, first, later])),
      'Seen in the camera images: at 14:00:00.0 1 to 3 people (person_3, person_12 and one not recognised) on the left (in 3 of 3) and 2 cups in the middle (in 2 of 3); ' +
        'later, at 14:00:04.0, a laptop on the right (in 1 of 3).',
    );
    assert.match(
      sightingSentence(segment([later])),
      /^Seen in the camera images: at 14:00:00\.0 3 people \(person_3, person_12 and one not recognised\) on the left and a laptop on the right\.$/,
    );
  });

  it('says which views were not examined, and when nothing was seen or looked for', () => {
    const empty: Sighting = { examined: true, objects: [], faces: [] };
    const skipped: Sighting = { examined: false, objects: [], faces: [] };
    assert.equal(
      sightingSentence(segment([empty, skipped])),
      'No objects or people were seen in the camera images. 1 of the 2 camera images was not examined for objects and people (detection budget spent).',
    );
    assert.equal(
      sightingSentence(segment([skipped])),
      'The camera image was not examined for objects and people (detection budget spent).',
    );
    assert.equal(sightingSentence(segment(undefined, 2)), 'Objects and people were not looked for.');
    assert.equal(sightingSentence(segment([])), '');
  });

  it('names irregular plurals and articles as English does', () => {
    const things: Sighting = {
      examined: true,
      objects: [
        object('knife', 10),
        object('knife', 20),
        object('apple', 200),
        object('scissors', 400),
        object('bus', 300),
        object('bus', 320),
      ],
      faces: [],
    };
    assert.equal(
      sightingSentence(segment([things])),
      'Seen in the camera images: at 14:00:00.0 2 knives on the left, an apple in the middle, a pair of scissors on the right and 2 buses on the right.',
    );
  });
});
