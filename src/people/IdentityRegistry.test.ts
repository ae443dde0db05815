import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { centroidOf } from '../memory/IdentityRecords.js';
import { SqliteMemoryStore } from '../memory/SqliteMemoryStore.js';
import { IdentityRegistry } from './IdentityRegistry.js';

/** A unit vector whose cosine similarity with `base` (a unit vector) is `similarity`. */
function at(base: Float32Array, similarity: number, axis: number): Float32Array {
  const other = new Float32Array(base.length);
  other[axis] = 1;
  const projection = base[axis]!;
  const orthogonal = centroidOf([other.map((v, i) => v - projection * base[i]!)]);
  return base.map((v, i) => similarity * v + Math.sqrt(1 - similarity ** 2) * orthogonal[i]!);
}

/** The person ids of `identify`'s answer (null: not recognised). */
function idsOf(frames: ({ id: string } | null)[][]): (string | null)[][] {
  return frames.map((faces) => faces.map((person) => person?.id ?? null));
}

describe('IdentityRegistry', () => {
  let dir: string;
  let store: SqliteMemoryStore;
  let registry: IdentityRegistry;
  const alice = centroidOf([Float32Array.from({ length: 64 }, (_, i) => (i % 5) - 2)]);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-registry-'));
    store = new SqliteMemoryStore({ path: join(dir, 'm.sqlite') });
    registry = new IdentityRegistry({ store, matchSimilarity: 0.7, newBelow: 0.55, maxEmbeddings: 5 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives a new face a new id, the same face later the same id, and a very different face another', async () => {
    assert.deepEqual(idsOf(await registry.identify([{ stamp: 1n, descriptors: [alice] }], 'r/0/1')), [['person_1']]);
    assert.deepEqual(idsOf(await registry.identify([{ stamp: 2n, descriptors: [at(alice, 0.9, 3)] }], 'r/0/2')), [['person_1']]);
    assert.deepEqual(idsOf(await registry.identify([{ stamp: 3n, descriptors: [at(alice, 0.2, 7)] }], 'r/0/3')), [['person_2']]);
    const [first] = await store.identities();
    assert.equal(first!.sightings, 2);
    assert.equal(first!.lastSeen, 2n);
  });

  it('leaves a look-alike between the thresholds unrecognised, and does not let it move anyone', async () => {
    await registry.identify([{ stamp: 1n, descriptors: [alice] }], 'r/0/1');
    const lookAlike = at(alice, 0.62, 3);
    assert.deepEqual(idsOf(await registry.identify([{ stamp: 2n, descriptors: [lookAlike] }], 'r/0/2')), [[null]]);
    const [only, ...others] = await store.identities();
    assert.deepEqual(others, []);
    assert.equal(only!.embeddings, 1);
    assert.ok(Math.abs(only!.centroid[0]! - alice[0]!) < 1e-6);
  });

  it('never gives one id to two faces of the same image: the better match wins', async () => {
    await registry.identify([{ stamp: 1n, descriptors: [alice] }], 'r/0/1');
    const twin = at(alice, 0.8, 3);
    const closer = at(alice, 0.95, 9);
    assert.deepEqual(idsOf(await registry.identify([{ stamp: 2n, descriptors: [twin, closer] }], 'r/0/2')), [[null, 'person_1']]);
  });

  it('keeps one embedding per segment however many keyframes show the person', async () => {
    await registry.identify([{ stamp: 1n, descriptors: [alice] }], 'r/0/1');
    const frames = [0.9, 0.95, 0.85].map((s, i) => ({ stamp: BigInt(10 + i), descriptors: [at(alice, s, 4 + i)] }));
    assert.deepEqual(idsOf(await registry.identify(frames, 'r/0/2')), [['person_1'], ['person_1'], ['person_1']]);
    const [person] = await store.identities();
    assert.equal(person!.embeddings, 2);
    assert.equal(person!.lastSeen, 11n, 'the stamp of the best-matching face');
  });

  it('refuses thresholds that leave no room for a match', () => {
    assert.throws(
      () => new IdentityRegistry({ store, matchSimilarity: 0.5, newBelow: 0.6, maxEmbeddings: 5 }),
      /people.new_below \(0.6\) must not exceed people.match_similarity \(0.5\)/,
    );
  });
});
