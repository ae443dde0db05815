/**
 * The behaviour every store's identities must show, and the people of its memories, run against each backend.
 */
import assert from 'node:assert/strict';
import type { FaceObservation } from './IdentityRecords.js';
import type { MemoryStore } from './MemoryStore.js';
import { sampleMemory, T0, type StoreFactory } from './MemoryStore.contract.test.js';

const S = 1_000_000_000n;

/** A unit vector of 1024 dimensions pointing mostly along axis `axis`, with a little of `other`. */
export function faceVector(axis: number, other = (axis + 1) % 1024, mix = 0.1): Float32Array {
  const v = new Float32Array(1024);
  v[axis] = 1;
  v[other] = mix;
  const norm = Math.hypot(1, mix);
  return v.map((x) => x / norm);
}

function face(memory: string, stamp: bigint, embedding: Float32Array): FaceObservation {
  return { memoryId: memory, stamp, embedding };
}

export function identityRecordsContract(name: string, factory: StoreFactory): void {
  describe(`${name}: identities and the people of memories`, function () {
    let store: MemoryStore;
    beforeEach(async () => {
      store = await factory.open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('numbers new identities person_1, person_2 … and gives them back with centroid and times', async () => {
      const a = await store.createIdentity(face('r1/0/1', T0, faceVector(3)));
      const b = await store.createIdentity(face('r1/0/2', T0 + S, faceVector(7)));
      assert.deepEqual([a.id, b.id], ['person_1', 'person_2']);
      const [first] = await store.identities();
      assert.equal(first!.id, 'person_1');
      assert.equal(first!.name, null);
      assert.equal(first!.firstSeen, T0);
      assert.equal(first!.lastSeen, T0);
      assert.equal(first!.sightings, 1);
      assert.equal(first!.embeddings, 1);
      assert.ok(Math.abs(first!.centroid[3]! - faceVector(3)[3]!) < 1e-6);
      assert.equal(await store.identity('person_9'), null);
      assert.equal(await store.identity('visitor'), null);
    });

    it('moves the centroid to the mean of the newest kept embeddings, one per memory, and widens the times', async () => {
      const { id } = await store.createIdentity(face('r1/0/1', T0 + 10n * S, faceVector(3, 4, 0)));
      await store.observeIdentity(id, face('r1/0/2', T0 + 20n * S, faceVector(3, 4, 1)), 2);
      // The same memory again replaces its embedding instead of adding one.
      let seen = await store.observeIdentity(id, face('r1/0/2', T0 + 20n * S, faceVector(3, 4, 1)), 2);
      assert.equal(seen!.sightings, 2);
      assert.equal(seen!.embeddings, 2);
      // A third memory with keep = 2 drops the oldest embedding: the centroid is the mean of the last two.
      seen = await store.observeIdentity(id, face('r1/0/3', T0, faceVector(3, 4, 1)), 2);
      assert.equal(seen!.embeddings, 2);
      assert.equal(seen!.sightings, 3);
      assert.equal(seen!.firstSeen, T0);
      assert.equal(seen!.lastSeen, T0 + 20n * S);
      const expected = faceVector(3, 4, 1);
      // Kept: r1/0/2 (newest) and r1/0/1 (T0 + 10 s): the newest two stamps.
      assert.ok(seen!.centroid[4]! > 0.2 && seen!.centroid[4]! < expected[4]!, `centroid[4] = ${seen!.centroid[4]}`);
      assert.ok(Math.abs(Math.hypot(...seen!.centroid) - 1) < 1e-5);
      assert.equal(await store.observeIdentity('person_99', face('r1/0/4', T0, faceVector(3)), 2), null);
    });

    it('names an identity, and forgets it with its embeddings without reusing its number', async () => {
      const { id } = await store.createIdentity(face('r1/0/1', T0, faceVector(3)));
      await store.observeIdentity(id, face('r1/0/2', T0 + S, faceVector(3)), 5);
      assert.equal(await store.nameIdentity(id, 'Alice'), true);
      assert.equal((await store.identity(id))!.name, 'Alice');
      assert.equal(await store.nameIdentity('person_5', 'Bob'), false);
      const forgotten = await store.forgetIdentity(id);
      assert.equal(forgotten?.identity.name, 'Alice');
      assert.equal(forgotten?.embeddings, 2);
      assert.equal(await store.identity(id), null);
      assert.equal(await store.forgetIdentity(id), null);
      const next = await store.createIdentity(face('r1/0/3', T0 + 2n * S, faceVector(9)));
      assert.equal(next.id, 'person_2');
    });

    it('keeps the people of a memory, recalls memories by person and lists where a person appeared', async () => {
      const seen = [0, 1, 2].map((i) =>
        sampleMemory({ start: T0 + BigInt(i) * 10n * S, text: `memory ${i}`, people: i === 1 ? ['person_3'] : ['person_2', 'person_3'] }),
      );
      for (const memory of seen) await store.put(memory);
      await store.put(sampleMemory({ start: T0 + 40n * S, text: 'nobody' }));
      assert.deepEqual((await store.get(seen[0]!.id))!.people, ['person_2', 'person_3']);
      const byPerson = await store.recall({ person: 'person_2' });
      assert.deepEqual(
        byPerson.memories.map((h) => h.memory.id),
        [seen[2]!.id, seen[0]!.id],
      );
      assert.deepEqual(
        (await store.recall({ person: 'person_3', text: 'memory', limit: 5 })).memories.map((h) => h.memory.id).sort(),
        seen.map((m) => m.id).sort(),
      );
      const appearances = await store.appearances('person_3', { limit: 2 });
      assert.deepEqual(
        appearances.map((a) => a.memoryId),
        [seen[2]!.id, seen[1]!.id],
      );
      assert.equal(appearances[0]!.start, seen[2]!.start);
      assert.deepEqual(await store.appearances('person_3', { asOf: seen[0]!.createdAt }), [
        { memoryId: seen[0]!.id, start: seen[0]!.start, end: seen[0]!.end },
      ]);
      // A re-memorized segment replaces its people; a forgotten memory leaves no appearance behind.
      await store.put({ ...seen[2]!, text: 'memory 2 again', people: ['person_3'] });
      assert.deepEqual(
        (await store.recall({ person: 'person_2' })).memories.map((h) => h.memory.id),
        [seen[0]!.id],
      );
      await store.forget({ ids: [seen[0]!.id] });
      assert.deepEqual((await store.recall({ person: 'person_2' })).memories, []);
      assert.deepEqual(await store.appearances('person_2'), []);
    });
  });
}
