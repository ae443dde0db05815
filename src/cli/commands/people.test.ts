import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { photograph } from '../../../test/support/photographs.js';
import { writeRecording, type RecordingScript, type Scene } from '../../demo/ScriptedRecording.js';
import { inFile } from '../../../test/support/storeBytes.js';
import { silentRecordingFlags } from '../../../test/support/recording.js';
import { embeddingFromBytes } from '../../memory/embedding.js';
import { NANOS_PER_SECOND } from '../../time.js';
import { ask } from './ask.js';
import { people } from './people.js';

const DAY = 86_400n * NANOS_PER_SECOND;
const T0 = 1_790_000_000n * NANOS_PER_SECOND;

/** `taskmem <args>` as a child process, as a user runs it. */
function taskmem(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function captured(): { io: { out: (t: string) => void; err: (t: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, out, err };
}

describe('people across two days (taskmem ingest, people, ask)', function () {
  this.timeout(600_000);
  let dir: string;
  let store: string;
  let days: RecordingScript[];
  const flags = () => ['--robot_id', 'r1', '--store.path', store, '--perception.budget_s', '5', ...silentRecordingFlags(days[0]!)];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-people-'));
    store = join(dir, 'memory.sqlite');
    const astronaut = new Uint8Array(photograph('astronaut.png'));
    const cameraman = new Uint8Array(photograph('camera.png'));
    const scene = (fromS: number, colour: string, picture?: Scene['picture']): Scene => ({
      fromS,
      colour,
      sign: '',
      ...(picture ? { picture } : {}),
    });
    // Day 1: an empty hall, then the astronaut. Day 2: the astronaut shifted, smaller and darker; then someone else.
    const day1 = [scene(0, '#6d7b8a'), scene(10, '#8a7a66', { image: astronaut, left: 60, top: 120, height: 340 })];
    const day2 = [
      scene(0, '#5e6a5a', { image: astronaut, left: 330, top: 200, height: 260, brightness: 0.75 }),
      scene(10, '#7a6d8a', { image: cameraman, left: 150, top: 60, height: 400 }),
    ];
    days = [];
    for (const [i, scenes] of [day1, day2].entries()) {
      days.push(
        await writeRecording({
          path: join(dir, `day${i + 1}.mcap`),
          durationS: 20,
          fps: 2,
          camera: 'compressed',
          audio: 'none',
          scenes,
          start: T0 + BigInt(i) * DAY,
        }),
      );
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same person the same id the next day and someone else another, answers by id, and forgets one from the file', async () => {
    for (const day of days) {
      const ingested = taskmem(['ingest', day.path, ...flags()]);
      assert.equal(ingested.code, 0, ingested.stderr);
    }
    const listed = captured();
    assert.equal(await people(['list', '--store.path', store], listed.io), 0, listed.err.join('\n'));
    assert.equal(listed.out.length, 2, listed.out.join('\n'));
    assert.match(listed.out[0]!, /^person_1: recognised from .* to .*, face described in 2 segments/);
    assert.match(listed.out[1]!, /^person_2: recognised from .*, face described in 1 segment,/);

    const db = new Database(store, { readonly: true });
    const memories = db.prepare('SELECT id, start_ns, people, text FROM memories ORDER BY start_ns').safeIntegers().all() as {
      id: string;
      start_ns: bigint;
      people: string;
      text: string;
    }[];
    const embeddings = (num: number) =>
      (db.prepare('SELECT embedding FROM identity_embeddings WHERE num = ?').pluck().all(num) as Buffer[]).map(embeddingFromBytes);
    const hers = embeddings(1);
    const his = embeddings(2);
    db.close();
    assert.deepEqual(
      memories.map((m) => JSON.parse(m.people) as string[]),
      [[], ['person_1'], ['person_1'], ['person_2']],
    );
    assert.match(memories[1]!.text, /a person \(person_1\)/);

    // Named, and found by name or id in answers from memory.
    assert.equal(await people(['name', 'person_1', 'Eileen', '--store.path', store], captured().io), 0);
    const answer = captured();
    const askedAt = String(days[1]!.end + NANOS_PER_SECOND);
    assert.equal(
      await ask(['When did I last see Eileen?', '--json', '--at', askedAt, '--robot_id', 'r1', '--store.path', store], answer.io),
      0,
      answer.err.join(''),
    );
    const parsed = JSON.parse(answer.out.join('')) as { evidence: { memoryId: string; people: string[] }[]; notes: string[] };
    assert.equal(parsed.evidence[0]?.memoryId, memories[2]!.id, 'the newest memory of her comes first');
    assert.deepEqual(parsed.evidence[0]?.people, ['person_1']);
    assert.ok(
      parsed.notes.some((n) => n.startsWith('person_1 ("Eileen"): 2 memories')),
      parsed.notes.join('\n'),
    );

    // Forgotten: gone from the store's bytes; the other person and the memories stay.
    assert.deepEqual(inFile(store, [...hers, ...his]), [...hers.map(() => true), ...his.map(() => true)]);
    const forgot = taskmem(['people', 'forget', 'person_1', '--store.path', store]);
    assert.equal(forgot.code, 0, forgot.stderr);
    assert.match(forgot.stdout, /forgot person_1 \("Eileen"\) and 2 face embeddings; the bytes are erased from the store/);
    assert.deepEqual(inFile(store, [...hers, ...his]), [...hers.map(() => false), ...his.map(() => true)]);
    const after = captured();
    assert.equal(await people(['list', '--store.path', store], after.io), 0);
    assert.deepEqual(
      after.out.map((l) => l.split(':')[0]),
      ['person_2'],
    );
    const gone = captured();
    assert.equal(await people(['show', 'person_1', '--store.path', store], gone.io), 2);
    assert.deepEqual(gone.err, ['taskmem people show: no person person_1 in the store (taskmem people list shows who is)']);
  });

  it('explains bad arguments', async () => {
    const bad = captured();
    assert.equal(await people(['name', 'person_1', '--store.path', join(dir, 'x.sqlite')], bad.io), 2);
    assert.match(bad.err.join(''), /taskmem people name: which name\?/);
    assert.equal(await people(['forget', 'alice', '--store.path', join(dir, 'x.sqlite')], bad.io), 2);
    assert.match(bad.err.join(''), /"alice" is not a person id/);
    assert.equal(await people(['dance', '--store.path', join(dir, 'x.sqlite')], bad.io), 2);
    const none = captured();
    assert.equal(await people(['list', '--store.path', join(dir, 'x.sqlite')], none.io), 4, 'a store that is not there is not made');
    assert.match(none.err.join(''), /^taskmem people: no memory store at .*x\.sqlite/);
  });
});
