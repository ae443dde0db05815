import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { framed } from '../../test/support/photographs.js';
import { SceneDetector } from '../media/SceneDetector.js';
import { SqliteMemoryStore } from '../memory/SqliteMemoryStore.js';
import type { Keyframe, Segment, TranscriptLine } from '../segment/Segment.js';
import { NANOS_PER_SECOND } from '../time.js';
import { IdentityRegistry } from './IdentityRegistry.js';
import { SegmentSight, type Detector } from './SegmentSight.js';

const T0 = 1_790_000_000n * NANOS_PER_SECOND;
const S = NANOS_PER_SECOND;
const KEYFRAME = { width: 448, height: 320 };

async function keyframe(at: number, jpeg: Promise<Uint8Array>): Promise<Keyframe> {
  return { stamp: T0 + BigInt(at) * S, jpeg: await jpeg, ...KEYFRAME };
}

function segment(index: number, keyframes: Keyframe[], transcript: TranscriptLine[] = []): Segment {
  return {
    robotId: 'r1',
    episode: 0,
    index,
    start: T0 + BigInt(index) * 10n * S,
    end: T0 + BigInt(index + 1) * 10n * S,
    keyframes,
    speech: [],
    transcript,
    poses: [],
    dropped: {},
  };
}

function said(at: number, text: string): TranscriptLine {
  return { start: T0 + BigInt(at) * S, end: T0 + BigInt(at + 1) * S, speaker: 'unknown', text };
}

describe('SegmentSight on real photographs', function () {
  this.timeout(180_000);
  let dir: string;
  let store: SqliteMemoryStore;
  let detector: SceneDetector;
  let astronaut: Promise<Uint8Array>;
  before(async () => {
    detector = await SceneDetector.load();
    astronaut = framed('astronaut.png', { height: 300, left: 120, top: 10 }, KEYFRAME);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-sight-'));
    store = new SqliteMemoryStore({ path: join(dir, 'm.sqlite') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function sight(options: { budgetS?: number; cpuSeconds?: () => number; detector?: Detector } = {}): SegmentSight {
    return new SegmentSight({
      detector: options.detector ?? detector,
      registry: new IdentityRegistry({ store, matchSimilarity: 0.7, newBelow: 0.55, maxEmbeddings: 20 }),
      budgetS: options.budgetS ?? 10,
      minConfidence: 0.45,
      minFaceConfidence: 0.6,
      minFacePx: 32,
      attributeSpeech: true,
      ...(options.cpuSeconds ? { cpuSeconds: options.cpuSeconds } : {}),
    });
  }

  it('sees a person with an id and a cup, shares a view that did not change, and gives the speech to the one person in view', async () => {
    const frames = await Promise.all([
      keyframe(1, astronaut),
      keyframe(3, astronaut),
      keyframe(5, framed('coffee.png', { height: 260, left: 40, top: 30 }, KEYFRAME)),
      keyframe(8, framed('camera.png', { height: 300, left: 100, top: 10 }, KEYFRAME)),
    ]);
    const looked = sight();
    const input = segment(0, frames, [said(2, 'Hello robot'), said(5, 'Coffee is ready')]);
    const seen = await looked.see(input);
    const [first, second, cup, other] = seen.sightings!;
    assert.ok(first!.examined, JSON.stringify(first));
    assert.deepEqual(
      first!.faces.map((f) => f.personId),
      ['person_1'],
    );
    assert.equal(second, first, 'the unchanged view shares the first sighting');
    assert.ok(
      cup!.objects.some((o) => o.label === 'cup'),
      JSON.stringify(cup!.objects),
    );
    assert.deepEqual(cup!.faces, []);
    assert.deepEqual(
      other!.faces.map((f) => f.personId),
      ['person_2'],
    );
    assert.deepEqual(
      seen.transcript.map((l) => l.speaker),
      ['person_1', 'unknown'],
    );
    assert.equal(await looked.see(input), seen, 'asked again, the same sighting (faces are counted once)');
    assert.deepEqual(
      (await store.identities()).map((p) => [p.id, p.sightings]),
      [
        ['person_1', 1],
        ['person_2', 1],
      ],
    );
  });

  it('recognises the same person shifted, scaled and darker the next day, with a new sight and the same store, by the name given', async () => {
    await sight().see(segment(0, [await keyframe(1, astronaut)]));
    await store.nameIdentity('person_1', 'Eileen');
    const nextDay = await keyframe(2, framed('astronaut.png', { height: 220, left: 220, top: 90, brightness: 0.7 }, KEYFRAME));
    const looked = sight();
    const seen = await looked.see({ ...segment(0, [nextDay]), start: T0 + 86_400n * S, end: T0 + 86_410n * S });
    assert.deepEqual(
      seen.sightings![0]!.faces.map((f) => [f.personId, f.name]),
      [['person_1', 'Eileen']],
    );
    const [person] = await store.identities();
    assert.equal(person!.sightings, 2);
    // A later segment's window shows this frame again with the same faces; a frame this sight never looked at, none.
    const unseen = await keyframe(3, astronaut);
    const [window] = looked.framesSeen([{ segmentIndex: 0, start: seen.start, end: seen.end, frames: [nextDay, unseen] }]);
    assert.equal(window!.sightings![0], seen.sightings![0]);
    assert.deepEqual(window!.sightings![1], { examined: false, objects: [], faces: [] });
  });

  it('examines changed views while the CPU budget lasts, carries the rest over, and marks what it left out', async () => {
    let clock = 0;
    const charged: Detector = {
      detect: async (image) => {
        clock += 1;
        return detector.detect(image);
      },
    };
    const looked = sight({ budgetS: 1.5, detector: charged, cpuSeconds: () => clock });
    const views = await Promise.all([
      keyframe(1, astronaut),
      keyframe(3, framed('coffee.png', { height: 260, left: 40, top: 30 }, KEYFRAME)),
      keyframe(5, framed('camera.png', { height: 300, left: 100, top: 10 }, KEYFRAME)),
      keyframe(7, framed('motorcycle_left.png', { height: 280, left: 20, top: 20 }, KEYFRAME)),
    ]);
    const first = await looked.see(segment(0, views));
    // Balance 1.5: the first view leaves 0.5, the second −0.5; nothing more this segment.
    assert.deepEqual(
      first.sightings!.map((s) => s.examined),
      [true, true, false, false],
    );
    const second = await looked.see(segment(1, views.slice(2)));
    // −0.5 + 1.5 = 1: the first view leaves 0, which still allows the second.
    assert.deepEqual(
      second.sightings!.map((s) => s.examined),
      [true, true],
    );
    assert.equal(clock, 4);
    // −1 + 1.5 = 0.5 left, but the view did not change.
    const still = await looked.see(segment(2, [views[3]]));
    assert.equal(still.sightings![0], second.sightings![1], 'the unchanged view is shared, at no cost');
    assert.equal(clock, 4);
  });
});
