/**
 * The behaviour every MemoryStore must show, as one mocha suite run against each backend (SQLite, PostgreSQL,
 * PGlite with pgvector). `open` returns a store on an empty database; `reopen`, when given, opens the same
 * database again (durability across restarts).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { conceptEmbeddings } from '../../test/support/conceptEmbeddings.js';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { EmbeddingBackfill } from '../embed/EmbeddingBackfill.js';
import { OpenAIEmbeddingSource } from '../embed/OpenAIEmbeddingSource.js';
import { createHash } from 'node:crypto';
import { storedRequest } from '../focus/storedRequest.js';
import { memorizeMessages, promptText } from '../memorize/prompts.js';
import type { Segment } from '../segment/Segment.js';
import type { Memory } from './Memory.js';
import { memoryId } from './Memory.js';
import type { MemoryEmbedding, MemoryStore, PreferencePair, RecallQuery, UnembeddedPage } from './MemoryStore.js';
import { memoryToRow } from './memoryRow.js';
import type { SqlParams } from './sql/SqlConnection.js';

export interface StoreFactory {
  open(options?: { thumbnails?: boolean }): Promise<MemoryStore>;
  reopen?(options?: { thumbnails?: boolean }): Promise<MemoryStore>;
  /** Brings the database's planner statistics up to date, as its own upkeep does (PostgreSQL's autovacuum ANALYZE). */
  analyze?(): Promise<void>;
}

/** A stamp above 2^53 ns (2026), so any loss of integer precision shows. */
export const T0 = 1_790_000_000_123_456_789n;
const S = 1_000_000_000n;

export function sampleMemory(overrides: Partial<Memory> & { start?: bigint } = {}): Memory {
  const robotId = overrides.robotId ?? 'r1';
  const episode = overrides.episode ?? 0;
  const start = overrides.start ?? T0;
  return {
    id: memoryId(robotId, episode, start),
    robotId,
    episode,
    segmentIndex: 0,
    start,
    end: start + 10n * S,
    createdAt: start + 12n * S,
    text: 'A person puts a red mug on the kitchen counter.',
    source: 'policy',
    taskGroup: null,
    focusDepth: 0,
    quality: { format: true, hygiene: true, preference: null, descriptionTokens: 12 },
    pose: null,
    model: 'taskmem-policy',
    template: 'memorize@1',
    transcript: [],
    people: [],
    thumbnails: [],
    ...overrides,
  };
}

/** The embedding model of most tests. */
const MODEL = 'test-embedder';

/** An embedding of `model` near the axes `hot` (and along them all, with `noise`). */
export function unit(dims: number, hot: number[], noise = 0, model = MODEL): MemoryEmbedding {
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) v[i] = (i * 7919) % 13 === 0 ? -0.01 : 0.01 * noise;
  for (const h of hot) v[h] = 1;
  return { model, vector: v };
}

/**
 * Two memories with vectors as a store held them before vectors had model names (schema 4 and older; see
 * assertUnnamedVectorsMigrated).
 */
export const UNNAMED_VECTOR_MEMORIES = [
  sampleMemory({ start: 1n, text: 'an old kettle' }),
  sampleMemory({ start: 2n, text: 'an old dog' }),
];

/** The columns of a memory in a schema-4 database, which had no `people` (schema 6). */
export function schemaFourRow(memory: Memory): SqlParams {
  return Object.fromEntries(Object.entries(memoryToRow(memory)).filter(([column]) => column !== 'people'));
}

/** The 16-d vector of UNNAMED_VECTOR_MEMORIES[i]. */
export function unnamedVector(i: number): Float32Array {
  return new Float32Array(16).map((_, d) => (d === i ? 1 : 0.01));
}

/**
 * What a store migrated from schema 4 with UNNAMED_VECTOR_MEMORIES must show: the old vectors kept under the unknown
 * model '' and searchable there, every memory unembedded for a named model, and a named model of another size
 * beside them.
 */
export async function assertUnnamedVectorsMigrated(store: MemoryStore): Promise<void> {
  assert.deepEqual(
    (await store.recall({ vector: { model: '', vector: unnamedVector(1) }, limit: 1 })).memories.map((h) => h.memory.text),
    ['an old dog'],
    'the old vectors, under the unknown model',
  );
  assert.equal(await store.countUnembedded('minilm'), 2, 'no named model has a vector of them');
  const named = { model: 'minilm', vector: new Float32Array(8).fill(0.5) };
  assert.equal(await store.putEmbeddings([{ memory: UNNAMED_VECTOR_MEMORIES[0]!, embedding: named }]), 1, 'another size, another model');
  assert.deepEqual(
    (await store.recall({ vector: named })).memories.map((h) => h.memory.text),
    ['an old kettle'],
  );
  await assert.rejects(store.put(sampleMemory({ start: 3n }), { model: 'minilm', vector: new Float32Array(16) }), /8-dimensional/);
}

/** The unique word of the memory `storeQuotedMemory` stores; the porter stemmer keeps it as it is. */
export const FORGOTTEN_WORD = 'quokkazarb';

/** A JPEG-like image whose bytes are `n` (a keyframe or thumbnail). */
const image = (n: number) => new Uint8Array([0xff, 0xd8, 0xff, n, n, n]);

/**
 * A memory about FORGOTTEN_WORD, quoted wherever a store keeps text derived from memories, beside memories and
 * records that do not quote it: thumbnails and vectors of two models; an answer citing it and one quoting its text
 * (and one that does neither); a preference pair of its segment and one of a later segment whose request shows it
 * in the window (built by the real memorizer prompt, quoted as the policy saw it), and a pair that shows neither,
 * sharing an image with the second; a person seen only in it, and one seen there and in another segment. Returns the
 * memory; the store must be opened with thumbnails.
 */
export async function storeQuotedMemory(store: MemoryStore): Promise<Memory> {
  const memory = (start: bigint, segmentIndex: number, text: string) =>
    sampleMemory({ start, segmentIndex, text, thumbnails: [image(segmentIndex)] });
  const forgotten = memory(T0, 0, `A ${FORGOTTEN_WORD} sits on the shelf by the door.`);
  const mug = memory(T0 + 10n * S, 1, 'The red mug is on the kitchen counter.');
  const lamp = memory(T0 + 20n * S, 2, 'The lamp by the sofa is on.');
  await store.put(forgotten, unit(16, [1], 0, 'small'));
  await store.putEmbeddings([{ memory: forgotten, embedding: unit(8, [1], 0, 'tiny') }]);
  await store.put(mug, unit(16, [2], 0, 'small'));
  await store.put(lamp);

  const tasks = ['what is on the shelf?', 'what did the shelf hold?', 'where is the mug?'];
  for (const [i, text] of tasks.entries())
    await store.logTask({ id: `t${i}`, robotId: 'r1', stamp: T0 + 30n * S + BigInt(i), text, group: 'g', kind: 'ask' });
  const answer = { abstained: false, confidence: 0.9, answeredBy: 'answer-model' };
  await store.recordAnswer('t0', { ...answer, text: 'Something small.', evidence: [forgotten.id] });
  await store.recordAnswer('t1', { ...answer, text: `It said: ${forgotten.text}`, evidence: [] });
  await store.recordAnswer('t2', { ...answer, text: 'On the kitchen counter.', evidence: [mug.id, lamp.id] });

  const segment = (of: Memory, frame: number): Segment => ({
    robotId: 'r1',
    episode: 0,
    index: of.segmentIndex,
    start: of.start,
    end: of.end,
    keyframes: [{ stamp: of.start, jpeg: image(100 + frame), width: 32, height: 32 }],
    speech: [],
    transcript: [],
    poses: [],
    dropped: {},
  });
  const pair = async (id: string, of: Memory, window: Memory[], frame: number, chosen: string) => {
    const messages = memorizeMessages({ segment: segment(of, frame), window, focusExamples: [tasks[0]!], windowSlots: 4 });
    const { request, images } = storedRequest(messages);
    const completion = (text: string) => `<think>the shelf</think>${JSON.stringify({ description: text })}`;
    await store.putPreference(
      {
        id,
        segmentId: of.id,
        group: 'g',
        prompt: promptText(messages),
        request,
        chosen,
        rejected: 'Nothing of note.',
        chosenCompletion: completion(chosen),
        rejectedCompletion: completion('Nothing of note.'),
        examples: [tasks[0]!],
        chosenEmbedding: null,
        rejectedEmbedding: null,
        createdAt: of.end,
      },
      images,
    );
  };
  // Faces: one person seen only in the forgotten segment, one seen there and in the mug's.
  const face = (of: Memory, axis: number) => ({ memoryId: of.id, stamp: of.start, embedding: unit(8, [axis]).vector });
  await store.createIdentity(face(forgotten, 1));
  const both = await store.createIdentity(face(forgotten, 2));
  await store.observeIdentity(both.id, face(mug, 3), 10);
  await pair('of-the-segment', forgotten, [], 0, forgotten.text);
  await pair('in-the-window', lamp, [forgotten, mug], 1, lamp.text);
  await pair('elsewhere', mug, [], 1, mug.text);
  return forgotten;
}

export function memoryStoreContract(name: string, factory: StoreFactory): void {
  describe(`${name}: MemoryStore contract`, function () {
    let store: MemoryStore;
    beforeEach(async () => {
      store = await factory.open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores a memory and gives it back unchanged, nanosecond stamps and pose included', async () => {
      const memory = sampleMemory({
        pose: { stamp: T0 + 5n * S + 1n, frameId: 'map', x: 1.5, y: -2.25, z: 0, yaw: 0.5 },
        transcript: ['[00:02] visitor: the parcel is for Ana'],
        taskGroup: 'deliveries',
        quality: { format: true, hygiene: null, preference: 0.75, descriptionTokens: 40 },
      });
      assert.equal(await store.put(memory), true);
      assert.deepEqual(await store.get(memory.id), memory);
      assert.equal(await store.get('r1/0/1'), null);
      assert.equal(await store.count(), 1);
    });

    it('stores a replayed memory once, and replaces a re-memorized segment', async () => {
      const memory = sampleMemory();
      assert.equal(await store.put(memory), true);
      assert.equal(await store.put({ ...memory }), false);
      assert.equal(await store.count(), 1);
      const redone = { ...memory, text: 'A courier leaves a blue parcel by the door.', template: 'memorize@2' };
      assert.equal(await store.put(redone), true);
      assert.equal(await store.count(), 1);
      assert.deepEqual(await store.get(memory.id), redone);
      assert.deepEqual(
        (await store.recall({ text: 'parcel' })).memories.map((s) => s.memory.id),
        [memory.id],
      );
      assert.deepEqual((await store.recall({ text: 'mug' })).memories, []);
    });

    it('finds memories from a plain question, best match first, with stop words and punctuation ignored', async () => {
      await store.put(sampleMemory({ start: T0, text: 'Keys are on the hallway shelf next to a blue umbrella.' }));
      await store.put(sampleMemory({ start: T0 + 10n * S, text: 'A person waters the plants by the window.' }));
      await store.put(sampleMemory({ start: T0 + 20n * S, text: 'The robot passes the hallway; nothing on the shelf.' }));
      await store.put(sampleMemory({ start: T0 + 30n * S, text: 'Silent corridor.', transcript: ['visitor: I left my key in the car'] }));
      const { memories: hits } = await store.recall({ text: 'Where did I leave my keys?! (AND "OR" NEAR*' });
      const ids = hits.map((h) => h.memory.id);
      assert.equal(ids[0], memoryId('r1', 0, T0));
      assert.ok(ids.includes(memoryId('r1', 0, T0 + 30n * S)), 'the transcript is searched too');
      assert.ok(!ids.includes(memoryId('r1', 0, T0 + 10n * S)));
      assert.ok(hits.every((h) => h.score > 0 && h.matchedBy.includes('text')));
      const unspecific = await store.recall({ text: 'What did I do?', since: T0 + 15n * S, limit: 2 });
      assert.deepEqual(unspecific.searchedBy, [], 'no retriever ran');
      assert.deepEqual(
        unspecific.memories.map((h) => [h.memory.start, h.matchedBy]),
        [
          [T0 + 30n * S, ['filter']],
          [T0 + 20n * S, ['filter']],
        ],
        'a question of stop words only falls back to the filters, newest first',
      );
    });

    it('bounds full-text work: rare words select the memories and common ones only weigh in; common words alone give the newest holding them all first', async function () {
      this.timeout(120_000);
      // 3,400 memories: "mug" and "counter" are each in more than 3,000 (common), "umbrella" in 34 (rare).
      const holds = (i: number) => ({ mug: i % 17 !== 0, counter: i % 11 !== 0, umbrella: i % 100 === 3 });
      const text = (i: number) => {
        const h = holds(i);
        return [
          h.mug ? 'A red mug' : 'A red bowl',
          h.counter ? 'on the counter' : 'on the floor',
          h.umbrella ? 'beside an umbrella' : '',
          `(${i})`,
        ].join(' ');
      };
      const memories = Array.from({ length: 3_400 }, (_, i) => sampleMemory({ start: T0 + BigInt(i) * 10n * S, text: text(i) }));
      for (const memory of memories) await store.put(memory);
      await factory.analyze?.();
      const index = (m: Memory) => Number((m.start - T0) / (10n * S));

      const { memories: umbrella } = await store.recall({ text: 'umbrella mug', limit: 50 });
      const found = umbrella.map((h) => index(h.memory));
      const withUmbrella = memories.map(index).filter((i) => holds(i).umbrella);
      assert.deepEqual(
        [...found].sort((a, b) => a - b),
        withUmbrella,
        'the rare word selects: no memory of the mug alone',
      );
      const firstWithoutMug = found.findIndex((i) => !holds(i).mug);
      assert.ok(firstWithoutMug > 0 && found.slice(firstWithoutMug).every((i) => !holds(i).mug), `the mug weighs in: ${found.join(' ')}`);

      const { memories: common } = await store.recall({ text: 'mug counter', limit: 20 });
      const both = memories.map(index).filter((i) => holds(i).mug && holds(i).counter);
      assert.deepEqual(
        common.map((h) => index(h.memory)),
        both.slice(-20).reverse(),
        'common words alone: the newest memories holding them all',
      );
      // A word one store's language drops (PostgreSQL's English stop words hold "don") selects nothing and hides nothing.
      assert.deepEqual(
        (await store.recall({ text: "I don't see the mug on the counter", limit: 20 })).memories.map((h) => index(h.memory)),
        both.slice(-20).reverse(),
      );
      const window = await store.recall({ text: 'mug counter', since: T0 + 1_000n * 10n * S, until: T0 + 1_100n * 10n * S, limit: 5 });
      assert.deepEqual(
        window.memories.map((h) => index(h.memory)),
        both
          .filter((i) => i < 1_100)
          .slice(-5)
          .reverse(),
        'and in a window, the newest in it',
      );
    });

    it('filters by time overlap, creation time, robot, episode, task group and place', async () => {
      const at = (i: number, o: Partial<Memory> = {}) => sampleMemory({ start: T0 + BigInt(i) * 10n * S, text: `mug seen ${i}`, ...o });
      await store.put(at(0, { pose: { stamp: T0, frameId: 'map', x: 0, y: 0, z: 0, yaw: 0 } }));
      await store.put(at(1, { taskGroup: 'kitchen', pose: { stamp: T0, frameId: 'map', x: 3, y: 4, z: 0, yaw: 0 } }));
      await store.put(at(2, { robotId: 'r2' }));
      await store.put(at(3, { episode: 1 }));
      const ids = async (q: Parameters<MemoryStore['recall']>[0]) =>
        (await store.recall({ text: 'mug', ...q })).memories.map((h) => h.memory.text).sort();
      assert.deepEqual(await ids({ since: T0 + 10n * S, until: T0 + 20n * S }), ['mug seen 1'], 'half-open overlap');
      assert.deepEqual(await ids({ since: T0 + 5n * S, until: T0 + 15n * S }), ['mug seen 0', 'mug seen 1']);
      assert.deepEqual(await ids({ asOf: T0 + 22n * S }), ['mug seen 0', 'mug seen 1'], 'createdAt <= asOf');
      assert.deepEqual(await ids({ robotId: 'r2' }), ['mug seen 2']);
      assert.deepEqual(await ids({ episode: 1 }), ['mug seen 3']);
      assert.deepEqual(await ids({ taskGroup: 'kitchen' }), ['mug seen 1']);
      assert.deepEqual(await ids({ near: { x: 3, y: 3, radius: 1.01 } }), ['mug seen 1']);
      assert.deepEqual(await ids({ near: { x: 1.5, y: 2, radius: 2.4 } }), [], 'the box corner is outside the circle');
      const { memories: newest } = await store.recall({ robotId: 'r1', limit: 2 });
      assert.deepEqual(
        newest.map((h) => [h.memory.text, h.score, h.matchedBy]),
        [
          ['mug seen 3', 0, ['filter']],
          ['mug seen 1', 0, ['filter']],
        ],
      );
      // A memory spanning hours overlaps a window that starts long after the memory did.
      const long = { ...at(100, { robotId: 'r3', text: 'a long watch of the mug' }), end: T0 + 100_000n * S };
      await store.put(long, unit(16, [2]));
      const late = { since: T0 + 50_000n * S, until: T0 + 50_010n * S, limit: 3 };
      assert.deepEqual(await ids(late), ['a long watch of the mug']);
      assert.deepEqual(
        (await store.recall({ ...late, vector: unit(16, [2]) })).memories.map((h) => h.memory.id),
        [long.id],
      );
      assert.deepEqual(
        (await store.recall({ ...late, robotId: 'r3' })).memories.map((h) => h.memory.id),
        [long.id],
      );
    });

    it('ranks by vector similarity and fuses it with full text', async () => {
      const dims = 64;
      assert.deepEqual(await store.recall({ vector: unit(dims, [1]) }), { memories: [], searchedBy: [] }, 'no vectors stored yet');
      await store.put(sampleMemory({ start: T0, text: 'a kettle boils' }), unit(dims, [1, 2, 3]));
      await store.put(sampleMemory({ start: T0 + 10n * S, text: 'a dog sleeps' }), unit(dims, [40, 41, 42]));
      await store.put(sampleMemory({ start: T0 + 20n * S, text: 'a dog barks at the kettle' }), unit(dims, [1, 2, 50]));
      await store.put(sampleMemory({ start: T0 + 30n * S, text: 'no vector here, kettle' }));
      const { memories: byVector, searchedBy } = await store.recall({ vector: unit(dims, [1, 2, 3], 0.5) });
      assert.deepEqual(searchedBy, ['vector']);
      assert.deepEqual(byVector.map((h) => h.memory.text).slice(0, 2), ['a kettle boils', 'a dog barks at the kettle']);
      assert.ok(byVector.every((h) => h.matchedBy.join() === 'vector'));
      const { memories: hybrid } = await store.recall({ text: 'dog', vector: unit(dims, [1, 2, 50]), limit: 3 });
      assert.equal(hybrid[0]!.memory.text, 'a dog barks at the kettle');
      assert.deepEqual(hybrid[0]!.matchedBy, ['text', 'vector']);
      assert.ok(hybrid[0]!.score > hybrid[1]!.score);
      const { memories: filtered } = await store.recall({ vector: unit(dims, [1, 2, 3]), since: T0 + 10n * S });
      assert.deepEqual(
        filtered.map((h) => h.memory.text),
        ['a dog barks at the kettle', 'a dog sleeps'],
      );
      await assert.rejects(
        store.put(sampleMemory({ start: T0 + 40n * S }), { model: MODEL, vector: new Float32Array(8).fill(1) }),
        /embedding has 8 dimensions but this store holds 64-dimensional vectors of "test-embedder"/,
      );
    });

    it('keeps thumbnails only when asked to', async () => {
      const thumbs = [new Uint8Array([0xff, 0xd8, 1, 2]), new Uint8Array([0xff, 0xd8, 3])];
      await store.put(sampleMemory({ thumbnails: thumbs }));
      assert.deepEqual((await store.get(sampleMemory().id))!.thumbnails, []);
      const keeping = await factory.open({ thumbnails: true });
      try {
        await keeping.put(sampleMemory({ start: T0 + 10n * S, thumbnails: thumbs }));
        assert.deepEqual((await keeping.get(memoryId('r1', 0, T0 + 10n * S)))!.thumbnails, thumbs);
      } finally {
        await keeping.close();
      }
    });

    it('gives the prompt window oldest first and forgets on request', async () => {
      for (let i = 0; i < 6; i++)
        await store.put(sampleMemory({ start: T0 + BigInt(i) * 10n * S, segmentIndex: i, text: `segment ${i} lamp` }));
      await store.put(sampleMemory({ episode: 1, start: T0, text: 'other episode' }));
      const window = await store.window('r1', 0, T0 + 50n * S, 4);
      assert.deepEqual(
        window.map((m) => m.segmentIndex),
        [1, 2, 3, 4],
      );
      assert.deepEqual(await store.forget({ text: 'lamp on the moon' }), [], 'every word must match');
      const gone = await store.forget({ since: T0 + 45n * S, until: T0 + 100n * S, text: 'the lamp' });
      assert.deepEqual(gone.map((m) => m.segmentIndex).sort(), [4, 5]);
      assert.equal((await store.forget({ ids: [memoryId('r1', 1, T0)] })).length, 1);
      assert.equal(await store.count(), 4);
      await assert.rejects(store.forget({}), /forgetting everything/);
    });

    it('records failures, progress, episodes, tasks, preferences and versioned focus vectors', async () => {
      const failure = {
        id: memoryId('r1', 3, T0),
        robotId: 'r1',
        episode: 3,
        segmentIndex: 2,
        start: T0,
        end: T0 + 10n * S,
        reason: 'invalid JSON',
        attempts: 1,
      };
      await store.recordFailure(failure);
      await store.recordFailure({ ...failure, attempts: 2, reason: 'timeout' });
      assert.deepEqual(await store.failures('r1'), [{ ...failure, attempts: 2, reason: 'timeout' }]);
      assert.deepEqual(await store.failures('r2'), []);
      assert.equal(await store.lastEpisode('r1'), 3);
      assert.equal(await store.lastEpisode('r2'), -1);
      await store.clearFailure(failure.id);
      assert.deepEqual(await store.failures(), []);

      assert.equal(await store.getProgress('run1.mcap:123'), null);
      await store.setProgress('run1.mcap:123', T0);
      await store.setProgress('run1.mcap:123', T0 + 1n);
      assert.equal(await store.getProgress('run1.mcap:123'), T0 + 1n);

      for (let i = 0; i < 3; i++) {
        await store.logTask({ id: `t${i}`, robotId: 'r1', stamp: T0 + BigInt(i), text: `q${i}`, group: i === 1 ? 'b' : 'a', kind: 'ask' });
      }
      assert.deepEqual(
        (await store.recentTasks('r1', 2)).map((t) => t.id),
        ['t2', 't1'],
        'newest first',
      );
      assert.deepEqual(
        (await store.recentTasks('r1', 5, 'a')).map((t) => t.text),
        ['q2', 'q0'],
      );
      await store.logTask({ id: 't9', robotId: 'r2', stamp: T0 + 1n, text: 'q9', group: 'a', kind: 'directive' });

      const answer = {
        text: 'On the table.',
        abstained: false,
        confidence: 0.75,
        evidence: [memoryId('r1', 0, T0), memoryId('r1', 0, T0 + S)],
        answeredBy: 'answer-model',
      };
      await store.recordAnswer('t1', { ...answer, text: 'first try' });
      await store.recordAnswer('t1', answer);
      await store.recordAnswer('t2', { text: '', abstained: true, confidence: 0, evidence: [], answeredBy: '' });
      await assert.rejects(store.recordAnswer('t404', answer), /no task "t404" was logged/);
      const answered = await store.answeredTasks();
      assert.deepEqual(
        answered.map((t) => t.id),
        ['t0', 't1', 't9', 't2'],
        'oldest first',
      );
      assert.deepEqual(
        answered[1],
        { id: 't1', robotId: 'r1', stamp: T0 + 1n, text: 'q1', group: 'b', kind: 'ask', answer },
        'a second answer replaces the first',
      );
      assert.equal(answered[0]!.answer, null, 'a task without a recorded answer');
      assert.deepEqual(answered[3]!.answer, { text: '', abstained: true, confidence: 0, evidence: [], answeredBy: '' });
      assert.deepEqual(
        (await store.answeredTasks({ robotId: 'r1', since: T0 + 1n, until: T0 + 2n })).map((t) => t.id),
        ['t1'],
      );
      assert.deepEqual(
        (await store.answeredTasks({ robotId: 'r2' })).map((t) => t.id),
        ['t9'],
      );

      const pair: PreferencePair = {
        id: 'p1',
        segmentId: 's1',
        group: 'a',
        prompt: 'p',
        request: {
          messages: [
            { role: 'system', content: [{ type: 'text', text: 'rules' }] },
            {
              role: 'user',
              content: [
                { type: 'image', sha256: 'aa' },
                { type: 'text', text: 'new segment' },
                { type: 'image', sha256: 'bb' },
              ],
            },
          ],
        },
        chosen: 'c',
        rejected: 'r',
        chosenCompletion: '<think>why c</think>{"description": "c"}',
        rejectedCompletion: '{"description": "r"}',
        examples: ['q0'],
        chosenEmbedding: new Float32Array([0.5, -1]),
        rejectedEmbedding: null,
        createdAt: T0,
      };
      const images = new Map([
        ['aa', new Uint8Array([0xff, 0xd8, 1])],
        ['bb', new Uint8Array([0xff, 0xd8, 2])],
      ]);
      await store.putPreference(pair, images);
      // A second pair showing one of the same images keeps it once; a pair from before requests were kept has none.
      await store.putPreference(
        { ...pair, id: 'p2', group: 'b', chosenEmbedding: null, request: null, chosenCompletion: null, rejectedCompletion: null },
        new Map([['aa', new Uint8Array([0xff, 0xd8, 1])]]),
      );
      assert.deepEqual(await store.preferences('a'), [pair]);
      assert.equal((await store.preferences()).length, 2);
      assert.deepEqual((await store.preferences('b'))[0]!.request, null);
      assert.deepEqual(await store.preferenceImage('bb'), images.get('bb'));
      assert.equal(await store.preferenceImage('cc'), null);

      assert.equal(await store.focusVector('a'), null);
      const v1 = await store.putFocusVector({ group: 'a', vector: new Float32Array([1, 2]), pairs: 10, trainedAt: T0 });
      const v2 = await store.putFocusVector({ group: 'a', vector: new Float32Array([3, 4]), pairs: 20, trainedAt: T0 + 1n });
      assert.deepEqual([v1.version, v2.version], [1, 2]);
      assert.deepEqual(await store.focusVector('a'), v2);
      await store.resetFocusVector('a');
      assert.equal(await store.focusVector('a'), null);
      assert.equal((await store.putFocusVector({ group: 'a', vector: new Float32Array([5, 6]), pairs: 1, trainedAt: T0 + 2n })).version, 3);
    });

    it('keeps the vectors of two models of different sizes apart: a query of one model never matches by the other', async () => {
      const kettle = sampleMemory({ start: T0, text: 'a kettle boils' });
      const dog = sampleMemory({ start: T0 + 10n * S, text: 'a dog sleeps' });
      await store.put(kettle, unit(16, [1], 0, 'small'));
      await store.put(dog, unit(8, [1], 0, 'tiny'));
      const found = async (query: RecallQuery) => {
        const { memories, searchedBy } = await store.recall(query);
        return { found: memories.map((h) => [h.memory.text, h.matchedBy.join('+')]), searchedBy };
      };
      assert.deepEqual(await found({ vector: unit(16, [1], 0, 'small') }), {
        found: [['a kettle boils', 'vector']],
        searchedBy: ['vector'],
      });
      assert.deepEqual(await found({ vector: unit(8, [1], 0, 'tiny') }), { found: [['a dog sleeps', 'vector']], searchedBy: ['vector'] });
      assert.deepEqual(
        await found({ text: 'dog', vector: unit(16, [1], 0, 'unheard-of') }),
        { found: [['a dog sleeps', 'text']], searchedBy: ['text'] },
        'no vector of the model is stored: vector search does not run',
      );
      // Dimensions are fixed per model, not per store.
      await assert.rejects(
        store.put(sampleMemory({ start: T0 + 20n * S }), unit(8, [1], 0, 'small')),
        /has 8 dimensions but .* 16-dimensional vectors of "small"/,
      );
      assert.equal(await store.get(memoryId('r1', 0, T0 + 20n * S)), null, 'the memory of a refused vector is not stored either');
      await assert.rejects(store.put(sampleMemory({ start: T0 + 20n * S }), { model: '', vector: new Float32Array(4) }), /names no model/);
      await assert.rejects(
        store.recall({ vector: unit(12, [1], 0, 'small') }),
        /query embedding of "small" has 12 dimensions but the stored ones have 16/,
      );
      // A second model's vector for the kettle: each query finds it by its own model's vector.
      assert.equal(await store.putEmbeddings([{ memory: kettle, embedding: unit(8, [2], 0, 'tiny') }]), 1);
      assert.deepEqual(await found({ vector: unit(8, [2], 0, 'tiny'), limit: 1 }), {
        found: [['a kettle boils', 'vector']],
        searchedBy: ['vector'],
      });
      assert.deepEqual((await found({ vector: unit(16, [1], 0, 'small') })).found, [['a kettle boils', 'vector']]);
    });

    it('lists the memories without a vector of a model in pages, and embeds each once', async () => {
      const model = 'test-embedder';
      const memories = Array.from({ length: 7 }, (_, i) =>
        sampleMemory({ start: T0 + BigInt(i) * 10n * S, text: `memory ${i} of a lamp` }),
      );
      for (const [i, memory] of memories.entries()) await store.put(memory, i % 3 === 0 ? unit(16, [i], 0, model) : null);
      await store.put(sampleMemory({ start: T0 + 70n * S, text: 'memory 7, another model' }), unit(8, [1], 0, 'other-model'));
      const texts = (page: UnembeddedPage) => page.memories.map((m) => m.text.split(' ')[1]);
      // Without a vector of the model: 1, 2, 4, 5 and 7 (which has a vector of another model only).
      assert.equal(await store.countUnembedded(model), 5);
      const first = await store.unembedded(model, { limit: 2 });
      assert.deepEqual(texts(first), ['1', '2']);
      assert.deepEqual(first.memories[0], memories[1], 'whole memories, as stored');
      const second = await store.unembedded(model, { after: first.next, limit: 2 });
      assert.deepEqual(texts(second), ['4', '5']);
      const last = await store.unembedded(model, { after: second.next, limit: 2 });
      assert.deepEqual([texts(last), last.next], [['7,'], null]);
      assert.deepEqual(texts(await store.unembedded(model)), ['1', '2', '4', '5', '7,'], 'the default page holds them all');
      assert.deepEqual(texts(await store.unembedded('a-new-model', { limit: 3 })), ['0', '1', '2'], "a new model's work is every memory");

      // Storing shrinks the listing; storing again stores nothing and keeps the first vector.
      const embed = (page: UnembeddedPage, axis = 11) => page.memories.map((memory) => ({ memory, embedding: unit(16, [axis], 0, model) }));
      assert.equal(await store.putEmbeddings(embed(first)), 2);
      assert.equal(await store.countUnembedded(model), 3);
      assert.deepEqual(texts(await store.unembedded(model)), ['4', '5', '7,']);
      assert.equal(await store.putEmbeddings(embed(first, 13)), 0, 'an embedding stored twice is stored once');
      assert.equal(await store.countUnembedded(model), 3);
      const byFirst = (await store.recall({ vector: unit(16, [11], 0, model), limit: 2 })).memories.map((h) => h.memory.text);
      assert.deepEqual(byFirst.sort(), ['memory 1 of a lamp', 'memory 2 of a lamp'], 'the first stored vectors are kept');

      // A memory forgotten, or re-memorized with other text, since it was listed: its embedding is skipped.
      const pending = await store.unembedded(model);
      const throughFour = await store.unembedded(model, { limit: 1 });
      assert.deepEqual(texts(throughFour), ['4']);
      await store.forget({ ids: [memories[4]!.id] });
      await store.put({ ...memories[5]!, text: 'memory 5 of a lamp, remembered again' });
      assert.equal(await store.putEmbeddings(embed(pending)), 1, 'only memory 7 is stored');
      assert.deepEqual(texts(await store.unembedded(model)), ['5'], 'the re-memorized text still waits for its embedding');
      assert.equal(await store.countUnembedded(model), 1);
      // The cursor of a forgotten memory still resumes after it.
      assert.deepEqual(texts(await store.unembedded(model, { after: throughFour.next })), ['5']);

      // Re-memorizing drops the vectors of every model; putting the same text with a vector adds the missing one.
      await store.put({ ...memories[0]!, text: 'memory 0 of a lamp, remembered again' });
      assert.deepEqual(texts(await store.unembedded(model)), ['0', '5']);
      assert.equal(await store.put({ ...memories[0]!, text: 'memory 0 of a lamp, remembered again' }, unit(16, [0], 0, model)), false);
      assert.deepEqual(texts(await store.unembedded(model)), ['5']);
      await assert.rejects(store.unembedded(model, { after: 'seven' }), /"seven" is not a cursor this store gave/);

      // Memory 7 has vectors of two models: re-memorized, it waits for both; forgotten, it leaves no vector behind.
      const seven = (await store.get(memoryId('r1', 0, T0 + 70n * S)))!;
      await store.put({ ...seven, text: 'memory 7, remembered again' });
      assert.deepEqual([await store.countUnembedded(model), await store.countUnembedded('other-model')], [2, 7]);
      await store.forget({ ids: [seven.id, memories[0]!.id] });
      assert.deepEqual([await store.countUnembedded(model), await store.countUnembedded('other-model')], [1, 5]);
      assert.deepEqual((await store.recall({ vector: unit(8, [1], 0, 'other-model') })).searchedBy, [], 'no vector of it is left');
    });

    it('lets one owner at a time hold the embedding lease of a model, until it expires or is given up', async () => {
      const at = 1_790_000_000_000;
      const take = (owner: string, now = at, model = 'test-embedder') => store.leaseEmbedding(model, { owner, now, ttlMs: 60_000 });
      const race = await Promise.all(Array.from({ length: 8 }, (_, i) => take(`owner-${i}`)));
      assert.equal(race.filter(Boolean).length, 1, 'eight owners asking at once: one holds it');
      const holder = `owner-${race.indexOf(true)}`;
      const other = holder === 'owner-0' ? 'owner-1' : 'owner-0';
      assert.equal(await take(holder, at + 30_000), true, 'the holder extends it');
      assert.equal(await take(other, at + 60_000), false, 'extended: not expired at the first expiry');
      assert.equal(await take(other, at + 30_000, 'another-model'), true, "another model's lease is another lease");
      await store.releaseEmbedding('test-embedder', other);
      assert.equal(await take(other, at + 60_000), false, 'only the holder gives it up');
      assert.equal(await take(other, at + 90_000), true, 'expired: another owner takes it');
      assert.equal(await take(holder, at + 90_001), false);
      await store.releaseEmbedding('test-embedder', other);
      assert.equal(await take(holder, at + 90_002), true, 'given up: free at once');
      await assert.rejects(take('two words'), /the owner must be one word/);
    });

    it('forgets a memory with everything that quotes it: full text, thumbnails, vectors of every model, answers, preference pairs, their images and the faces seen in it', async () => {
      await store.close();
      store = await factory.open({ thumbnails: true });
      const forgotten = await storeQuotedMemory(store);
      const sha256 = (frame: number) =>
        createHash('sha256')
          .update(image(100 + frame))
          .digest('hex');
      assert.ok(await store.preferenceImage(sha256(0)), 'the images are stored before');
      assert.deepEqual(
        (await store.recall({ text: FORGOTTEN_WORD })).memories.map((h) => h.memory.id),
        [forgotten.id],
      );

      assert.deepEqual(
        (await store.forget({ text: `the ${FORGOTTEN_WORD}` })).map((m) => m.id),
        [forgotten.id],
      );
      assert.equal(await store.get(forgotten.id), null);
      assert.equal(await store.count(), 2);
      assert.deepEqual(await store.recall({ text: FORGOTTEN_WORD }), { memories: [], searchedBy: ['text'] }, 'not in the full-text index');
      for (const embedding of [unit(16, [1], 0, 'small'), unit(8, [1], 0, 'tiny')]) {
        const found = (await store.recall({ vector: embedding })).memories.map((h) => h.memory.text);
        assert.ok(!found.some((text) => text.includes(FORGOTTEN_WORD)), `no vector of ${embedding.model} is left`);
      }
      assert.equal(await store.countUnembedded('tiny'), 2, 'the kept memories have no tiny vector: none of the forgotten one remains');
      const answers = Object.fromEntries((await store.answeredTasks()).map((t) => [t.text, t.answer?.text ?? null]));
      assert.deepEqual(
        answers,
        { 'what is on the shelf?': null, 'what did the shelf hold?': null, 'where is the mug?': 'On the kitchen counter.' },
        'the answers citing or quoting it are removed; the questions stay',
      );
      assert.deepEqual(
        (await store.preferences()).map((p) => p.id),
        ['elsewhere'],
        'the pair of its segment and the pair whose window showed it are removed',
      );
      assert.equal(await store.preferenceImage(sha256(0)), null, 'an image only a removed pair showed');
      assert.ok(await store.preferenceImage(sha256(1)), 'an image a kept pair shows too');
      const people = await store.identities();
      assert.deepEqual(
        people.map((p) => [p.id, p.embeddings]),
        [['person_2', 1]],
        'the face seen only in it goes with its person; the other keeps the face seen elsewhere',
      );
      assert.ok(
        Math.abs(people[0]!.centroid[3]! - 1) < 1e-3,
        'the centroid is that face alone now (the mean with the forgotten one is 0.71 there)',
      );
    });

    it('numbers episodes per robot past every stored one, and leases each source to one holder', async () => {
      await store.put(sampleMemory({ episode: 4 }));
      const lease = { robotId: 'r1', holder: 'elsewhere:1:a', now: 1_000_000, leaseMs: 30_000 };
      const first = await store.claimEpisode({ ...lease, source: 'recording:a', ordinal: 0 });
      assert.equal(first, 5, 'one past the episodes of stored memories');
      assert.equal(await store.claimEpisode({ ...lease, source: 'recording:a', ordinal: 0 }), 5, 'the holder claims its own again');
      assert.equal(await store.claimEpisode({ ...lease, source: 'recording:a', ordinal: 1 }), 6, 'its next ordinal episode');
      assert.equal(await store.claimEpisode({ ...lease, robotId: 'r2', source: 'recording:a', ordinal: 0 }), 0, 'robots number apart');
      assert.equal(await store.claimedEpisode('r1', 'recording:a', 1), 6);
      assert.equal(await store.claimedEpisode('r1', 'recording:b', 0), null);
      assert.equal(await store.lastEpisode('r1'), 6);

      const other = { ...lease, holder: 'elsewhere:2:b', source: 'recording:a', ordinal: 0 };
      await assert.rejects(store.claimEpisode(other), (error: Error) => {
        assert.equal(error.name, 'EpisodeBusyError');
        assert.match(error.message, /is being written by pid 1 on elsewhere, whose lease runs 30 s more/);
        return true;
      });
      assert.equal(await store.renewEpisodes({ ...lease, source: 'recording:a', now: lease.now + 20_000 }), 2);
      await assert.rejects(store.claimEpisode({ ...other, now: lease.now + 40_000 }), /lease runs 10 s more/, 'renewed');
      assert.equal(await store.claimEpisode({ ...other, now: lease.now + 60_000 }), 5, 'taken once the lease ran out');
      assert.equal(await store.renewEpisodes({ ...lease, source: 'recording:a' }), 1, 'the first holder kept only ordinal 1');
      await store.releaseEpisodes({ robotId: 'r1', source: 'recording:a', holder: 'elsewhere:1:a' });
      assert.equal(await store.claimEpisode({ ...other, ordinal: 1 }), 6, 'released: taken at once');
      assert.equal(await store.claimEpisode({ ...lease, source: 'recording:b', ordinal: 0, adopt: 5 }), 7, 'no adopting a claimed number');
      assert.equal(await store.claimEpisode({ ...lease, source: 'recording:c', ordinal: 0, adopt: 2 }), 2, 'a free number is adopted');
    });

    if (factory.reopen) {
      it('lets the catch-ups of two processes on one store embed every memory once, over HTTP', async () => {
        const server = await new StandInModelServer().start();
        const second = await factory.reopen!();
        try {
          const served: string[] = [];
          server.onEmbeddings = async (request) => {
            served.push(...(typeof request.input === 'string' ? [request.input] : request.input));
            await sleep(5);
            return conceptEmbeddings(request);
          };
          const COLOURS = ['red', 'blue', 'green', 'violet', 'orange', 'black', 'white'];
          const texts = Array.from({ length: 90 }, (_, i) => `memory ${i}: a box on the ${COLOURS[i % COLOURS.length]} shelf`);
          for (const [i, text] of texts.entries()) await store.put(sampleMemory({ start: T0 + BigInt(i) * 10n * S, text }));
          await store.put(sampleMemory({ start: T0 - 10n * S, text: 'embedded as it was stored' }), {
            model: 'concepts-v1',
            vector: new Float32Array(64).fill(0.125),
          });
          const catchUp = async (on: MemoryStore): Promise<string[]> => {
            const client = new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 });
            const backfill = new EmbeddingBackfill({
              store: on,
              source: new OpenAIEmbeddingSource({ client, model: 'concepts-v1' }),
              batchSize: 8,
            });
            const steps: string[] = [];
            for (let step = await backfill.step(); step.kind !== 'done'; step = await backfill.step()) {
              steps.push(step.kind);
              if (step.kind !== 'embedded') await sleep(2);
            }
            return steps;
          };
          const [first, other] = await Promise.all([catchUp(store), catchUp(second)]);
          assert.deepEqual([...served].sort(), [...texts].sort(), 'every memory without a vector embedded, each once');
          assert.ok([...first, ...other].includes('busy'), `they met at the lease: ${first.join(',')} / ${other.join(',')}`);
          assert.deepEqual([await store.countUnembedded('concepts-v1'), await second.countUnembedded('concepts-v1')], [0, 0]);
          const found = await store.recall({
            vector: {
              model: 'concepts-v1',
              vector: Float32Array.from(conceptEmbeddings({ model: 'concepts-v1', input: 'the violet shelf' })[0]!),
            },
            limit: 1,
          });
          assert.match(found.memories[0]!.memory.text, /violet shelf$/, 'the vectors are those of their texts');
        } finally {
          await second.close();
          await server.stop();
        }
      });

      it('keeps memories and vectors across a reopen', async () => {
        const memory = sampleMemory();
        await store.put(memory, unit(16, [1]));
        await store.close();
        store = await factory.reopen!();
        assert.deepEqual(await store.get(memory.id), memory);
        assert.equal((await store.recall({ vector: unit(16, [1]) })).memories[0]!.memory.id, memory.id);
      });
    }
  });
}
