import assert from 'node:assert/strict';
import sharp from 'sharp';
import { PERCEPTION_LABEL, PERCEPTION_TEMPLATE, PerceptionMemorizer } from './PerceptionMemorizer.js';
import { TextReader } from '../media/TextReader.js';
import { parseConfig } from '../config/schema.js';
import type { Keyframe, Pose, Segment } from '../segment/Segment.js';
import { NANOS_PER_SECOND, secondsToNanos, type RosNanos } from '../time.js';
import type { Logger } from '../log.js';
import { framed } from '../../test/support/photographs.js';
import { SqliteMemoryStore } from '../memory/SqliteMemoryStore.js';
import { SegmentSight } from '../people/SegmentSight.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const T0: RosNanos = 1_795_269_600n * NANOS_PER_SECOND;
const at = (s: number) => T0 + secondsToNanos(s);

/** A camera view of a sign: white words on a coloured panel against a wall, as sharp renders it from SVG. */
async function sign(stamp: RosNanos, words: string, wall: string, panel: string): Promise<Keyframe> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="${wall}"/>
    <rect x="140" y="130" width="360" height="140" fill="${panel}" stroke="white" stroke-width="6"/>
    <text x="320" y="222" font-family="DejaVu Sans" font-weight="bold" font-size="60" fill="white" text-anchor="middle">${words}</text></svg>`;
  const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
  return { stamp, jpeg: new Uint8Array(jpeg), width: 640, height: 480 };
}

function segment(overrides: Partial<Segment>): Segment {
  return {
    robotId: 'r1',
    episode: 0,
    index: 3,
    start: T0,
    end: at(10),
    keyframes: [],
    speech: [],
    transcript: [],
    poses: [],
    dropped: {},
    ...overrides,
  };
}

const pose = (s: number, x: number, y: number): Pose => ({ stamp: at(s), frameId: 'map', x, y, z: 0, yaw: Math.PI / 2 });

describe('PerceptionMemorizer', () => {
  let reader: TextReader;
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  before(async () => {
    reader = await TextReader.load();
  });
  after(() => reader.release());

  it('remembers the signs it read, what was said, the change of view and where the robot went, labelled as perception', async () => {
    const exit = await sign(at(0.5), 'EXIT 12', '#8a9a7b', '#1d6b2a');
    const kitchen = await sign(at(6.5), 'Kitchen', '#d9c8a0', '#233f8c');
    const keyframes = [exit, { ...exit, stamp: at(2) }, { ...exit, stamp: at(4) }, kitchen, { ...kitchen, stamp: at(8) }];
    const memorizer = new PerceptionMemorizer({ reader, now: () => at(10), logger });
    const outcome = await memorizer.memorize(
      segment({
        keyframes,
        speech: [
          { start: at(1), end: at(2.5), probability: 0.9 },
          { start: at(7), end: at(8), probability: 0.8 },
        ],
        transcript: [{ start: at(1), end: at(2.5), speaker: 'unknown', text: 'Where is the "kitchen"?' }],
        poses: [pose(0, 1, 2), pose(5, 1, 4), pose(9.5, 1, 5)],
      }),
      { window: [], focus: null },
    );
    assert.equal(outcome.kind, 'memory');
    const memory = outcome.memory;
    assert.ok(memory.text.startsWith(PERCEPTION_LABEL));
    assert.match(memory.text, /Text read in the 5 camera images: "EXIT 12" \(in 3 of 5\), "Kitchen" \(in 2 of 5\)\./);
    assert.match(
      memory.text,
      /Speech was heard for 2\.5 s in 2 stretches, from 14:00:01\.0 to 14:00:08\.0\. Said: "Where is the 'kitchen'\?" \(unknown at 14:00:01\.0\)\./,
    );
    assert.match(memory.text, /The view changed once \(at 14:00:06\.5\)\./);
    assert.match(
      memory.text,
      /The robot moved 3\.0 m in frame "map", from x=1\.00 m, y=2\.00 m, heading 90° to x=1\.00 m, y=5\.00 m, heading 90°\./,
    );
    assert.deepEqual(
      [memory.id, memory.source, memory.model, memory.template, memory.createdAt, memory.segmentIndex, memory.taskGroup],
      ['r1/0/' + String(T0), 'perception', 'perception', PERCEPTION_TEMPLATE, at(10), 3, null],
    );
    assert.deepEqual(memory.pose, pose(5, 1, 4));
    assert.deepEqual(memory.transcript, ['14:00:01.0 unknown: Where is the "kitchen"?']);
    assert.ok(memory.quality.format && memory.quality.descriptionTokens > 50);
    assert.deepEqual(warnings, []);
  });

  it('says what it did not perceive rather than writing nothing', async () => {
    const memorizer = new PerceptionMemorizer({ reader, now: () => at(10) });
    const bare = await memorizer.memorize(segment({}), { window: [], focus: null });
    assert.equal(bare.kind === 'memory' && bare.memory.text, `${PERCEPTION_LABEL} There were no camera images. No speech was heard.`);

    const wall = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#777777' } })
      .jpeg()
      .toBuffer();
    const quiet = await memorizer.memorize(
      segment({
        keyframes: [0, 5].map((s) => ({ stamp: at(s), jpeg: new Uint8Array(wall), width: 640, height: 480 })),
        speech: [{ start: at(3), end: at(4), probability: 0.7 }],
        poses: [pose(1, 0, 0), pose(9, 0, 0.01)],
      }),
      { window: [], focus: null },
    );
    assert.equal(
      quiet.kind === 'memory' && quiet.memory.text,
      `${PERCEPTION_LABEL} Objects and people were not looked for. No text was read in the 2 camera images. Speech was heard for 1.0 s in one stretch, from 14:00:03.0 to 14:00:04.0; there is no transcript of it. The view stayed the same throughout. The robot stayed at x=0.00 m, y=0.01 m, heading 90° in frame "map".`,
    );
  });

  it('writes the memory when a keyframe cannot be decoded, saying so, and logs why', async () => {
    warnings.length = 0;
    const good = await sign(at(1), 'EXIT 12', '#8a9a7b', '#1d6b2a');
    const broken: Keyframe = { stamp: at(5), jpeg: new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]), width: 640, height: 480 };
    const outcome = await new PerceptionMemorizer({ reader, now: () => at(10), logger }).memorize(segment({ keyframes: [good, broken] }), {
      window: [],
      focus: null,
    });
    assert.equal(outcome.kind, 'memory');
    assert.match(outcome.memory.text, /Text read in the 2 camera images: "EXIT 12" \(in 1 of 2\)\. 1 of them could not be read\./);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /perception: keyframe at 14:00:05\.0 of segment 3 could not be read/);
  });

  it('names the person it recognised and the cup it saw, with counts and when, and gives the speech to that person', async function () {
    this.timeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), 'taskmem-perception-'));
    const store = new SqliteMemoryStore({ path: join(dir, 'm.sqlite') });
    try {
      const config = parseConfig({}, 'test');
      const sight = (await SegmentSight.fromConfig({ ...config, perception: { ...config.perception, budget_s: 10 } }, { store }))!;
      const size = { width: 448, height: 320 };
      const person = await framed('astronaut.png', { height: 260, left: 0, top: 30 }, size);
      const cup = await framed('coffee.png', { height: 250, left: 90, top: 40 }, size);
      const keyframes: Keyframe[] = [
        { stamp: at(1), jpeg: person, ...size },
        { stamp: at(3), jpeg: person, ...size },
        { stamp: at(6), jpeg: cup, ...size },
      ];
      const memorizer = new PerceptionMemorizer({ reader, sight, now: () => at(10) });
      const outcome = await memorizer.memorize(
        segment({
          keyframes,
          speech: [{ start: at(2), end: at(3), probability: 0.9 }],
          transcript: [{ start: at(2), end: at(3), speaker: 'unknown', text: 'Good morning' }],
        }),
        { window: [], focus: null },
      );
      assert.equal(outcome.kind, 'memory');
      const { text, people } = outcome.memory;
      assert.match(
        text,
        /Seen in the camera images: at 14:00:01\.0 a person \(person_1\) on the left \(in 2 of 3\); later, at 14:00:06\.0, a cup in the middle \(in 1 of 3\)\./,
      );
      assert.match(text, /Said: "Good morning" \(person_1 at 14:00:02\.0\)\./);
      assert.deepEqual(people, ['person_1']);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
