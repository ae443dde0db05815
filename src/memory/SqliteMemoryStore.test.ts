import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../log.js';
import type { RecallQuery, RecallResult } from './MemoryStore.js';
import { SqliteMemoryStore } from './SqliteMemoryStore.js';
import { SQLITE_MIGRATIONS } from './sqliteMigrations.js';
import {
  assertUnnamedVectorsMigrated,
  FORGOTTEN_WORD,
  memoryStoreContract,
  sampleMemory,
  schemaFourRow,
  storeQuotedMemory,
  type StoreFactory,
  UNNAMED_VECTOR_MEMORIES,
  unnamedVector,
} from './MemoryStore.contract.test.js';
import { identityRecordsContract } from './IdentityRecords.contract.test.js';
import { binaryCode } from './BinaryVectorIndex.js';
import { embeddingToBytes } from './embedding.js';

describe('SqliteMemoryStore', function () {
  let dir: string;
  let n = 0;
  let last = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-sqlite-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const factory: StoreFactory = {
    open: async (options) => {
      last = join(dir, `store${n++}`, 'memory.sqlite');
      return new SqliteMemoryStore({ path: last, ...options });
    },
    reopen: async (options) => new SqliteMemoryStore({ path: last, ...options }),
  };
  memoryStoreContract('SQLite', factory);
  identityRecordsContract('SQLite', factory);

  it('creates the folder, expands ~ and records the schema version', async () => {
    const home = process.env.HOME;
    process.env.HOME = dir;
    try {
      const store = new SqliteMemoryStore({ path: '~/nested/deeper/memory.sqlite' });
      assert.equal(store.schemaVersion, SQLITE_MIGRATIONS.length);
      await store.put(sampleMemory());
      await store.close();
      const db = new Database(join(dir, 'nested/deeper/memory.sqlite'), { readonly: true });
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.prepare('SELECT count(*) FROM memories').pluck().get(), 1);
      db.close();
    } finally {
      process.env.HOME = home;
    }
  });

  it('forget leaves no byte of the forgotten word in the file or its log: at once, after closing and after VACUUM', async () => {
    const path = join(dir, 'forget', 'memory.sqlite');
    /** The store's files that hold the word (as the full-text index keeps it, or in any text). */
    const holding = () =>
      [path, `${path}-wal`]
        .filter((file) => existsSync(file) && readFileSync(file).includes(FORGOTTEN_WORD))
        .map((file) => file.slice(path.length) || 'file');
    const store = new SqliteMemoryStore({ path, thumbnails: true });
    const forgotten = await storeQuotedMemory(store);
    assert.notDeepEqual(holding(), [], 'the word is in the store before');
    assert.equal((await store.forget({ ids: [forgotten.id] })).length, 1);
    assert.deepEqual(holding(), [], 'at once, while the store is open');
    await store.close();
    assert.deepEqual(holding(), [], 'after closing');
    const db = new Database(path);
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    assert.deepEqual(holding(), [], 'after VACUUM');
  });

  it('refuses a file written by a newer schema, naming the versions', async () => {
    const path = join(dir, 'newer.sqlite');
    const db = new Database(path);
    db.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (${SQLITE_MIGRATIONS.length + 1})`);
    db.close();
    assert.throws(
      () => new SqliteMemoryStore({ path }),
      new RegExp(`schema version ${SQLITE_MIGRATIONS.length + 1}.*up to ${SQLITE_MIGRATIONS.length}`),
    );
  });

  it('migrates the vectors of schema 4, which had no model name, to the unknown model, searchable and apart', async () => {
    const path = join(dir, 'schema4.sqlite');
    const old = new Database(path);
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (4)');
    for (const migration of SQLITE_MIGRATIONS.slice(0, 4)) old.exec(migration);
    const insertMemory = old.prepare(`INSERT INTO memories (seq, ${Object.keys(schemaFourRow(UNNAMED_VECTOR_MEMORIES[0]!)).join(', ')})
      VALUES (@seq, ${Object.keys(schemaFourRow(UNNAMED_VECTOR_MEMORIES[0]!))
        .map((c) => `@${c}`)
        .join(', ')})`);
    const insertVector = old.prepare('INSERT INTO memory_vectors (vseq, seq, code, vector) VALUES (?, ?, ?, ?)');
    UNNAMED_VECTOR_MEMORIES.forEach((memory, i) => {
      insertMemory.run({ ...schemaFourRow(memory), seq: i + 1 });
      insertVector.run(i + 1, i + 1, binaryCode(unnamedVector(i)), embeddingToBytes(unnamedVector(i)));
    });
    // Vectors up to 41 were stored (and some forgotten): numbering goes on from there.
    old.prepare("UPDATE sqlite_sequence SET seq = 41 WHERE name = 'memory_vectors'").run();
    old.prepare("INSERT INTO store_meta (key, value) VALUES ('vector_dims', '16')").run();
    old.close();

    const lines: string[] = [];
    const logger: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: () => {}, error: () => {} };
    const store = new SqliteMemoryStore({ path, logger });
    try {
      assert.equal(store.schemaVersion, SQLITE_MIGRATIONS.length);
      assert.match(lines.join('\n'), new RegExp(`migrated .*schema4.sqlite to schema ${SQLITE_MIGRATIONS.length}`));
      await assertUnnamedVectorsMigrated(store);
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    assert.deepEqual(check.prepare('SELECT vseq FROM memory_vectors ORDER BY vseq').pluck().all(), [1, 2, 42]);
    assert.deepEqual(check.prepare('SELECT model, dims FROM vector_models ORDER BY model').all(), [
      { model: '', dims: 16 },
      { model: 'minilm', dims: 8 },
    ]);
    assert.equal(check.prepare("SELECT count(*) FROM store_meta WHERE key = 'vector_dims'").pluck().get(), 0);
    check.close();
  });

  for (const [what, remove] of [
    ['deleted', (path: string) => unlinkSync(path)],
    [
      'replaced',
      (path: string) => {
        new Database(`${path}.new`).close();
        renameSync(`${path}.new`, path);
      },
    ],
  ] as const) {
    it(`refuses every write once its file is ${what}, and says so in verify`, async () => {
      const path = join(dir, `${what}`, 'memory.sqlite');
      const store = new SqliteMemoryStore({ path });
      try {
        await store.put(sampleMemory());
        await store.verify();
        remove(path);
        const gone = new RegExp(
          `the store file ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was ${what === 'deleted' ? 'deleted or moved' : 'replaced by another file'}`,
        );
        await assert.rejects(store.verify(), gone);
        await assert.rejects(store.put(sampleMemory({ start: 5n })), gone, 'a transaction is rolled back');
        await assert.rejects(store.setProgress('k', 1n), gone, 'a single statement too');
        assert.equal(await store.get(sampleMemory({ start: 5n }).id), null, 'nothing was committed to the old file');
        if (what === 'replaced') {
          const other = new Database(path, { readonly: true });
          assert.equal(
            other.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'memories'").pluck().get(),
            0,
            'the new file untouched',
          );
          other.close();
        }
      } finally {
        await store.close();
      }
    });
  }

  it('stores a batch in one transaction: all or nothing', async () => {
    const store = new SqliteMemoryStore({ path: join(dir, 'batch.sqlite') });
    const v = { model: 'test-embedder', vector: new Float32Array(8).fill(1) };
    const batch = [0n, 1n, 2n].map((start) => ({ memory: sampleMemory({ start, text: `batch ${start} cat` }), embedding: v }));
    assert.equal(await store.putMany(batch), 3);
    assert.equal(await store.putMany(batch), 0, 'a replayed batch stores nothing');
    await assert.rejects(
      store.putMany([
        { memory: sampleMemory({ start: 3n }), embedding: v },
        { memory: sampleMemory({ start: 4n }), embedding: { model: 'test-embedder', vector: new Float32Array(4) } },
      ]),
      /embedding has 4 dimensions/,
    );
    assert.equal(await store.count(), 3, 'the failed batch left nothing behind');
    assert.equal((await store.recall({ vector: v, text: 'cat' })).memories.length, 3);
    await store.close();
  });

  it('widens the vector search until a selective filter has results', async () => {
    const store = new SqliteMemoryStore({ path: join(dir, 'selective.sqlite') });
    const dims = 32;
    const query = { model: 'test-embedder', vector: new Float32Array(dims).fill(1) };
    let seed = 1;
    const random = () => ({
      model: 'test-embedder',
      vector: new Float32Array(dims).map(() => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.3),
    });
    await store.putMany(
      Array.from({ length: 5000 }, (_, i) => ({ memory: sampleMemory({ start: BigInt(i), text: `crowd ${i}` }), embedding: random() })),
    );
    const lonely = sampleMemory({ robotId: 'r2', text: 'the only memory of r2' });
    await store.put(lonely, { model: 'test-embedder', vector: new Float32Array(dims).fill(-1) });
    const { memories: hits } = await store.recall({ vector: query, robotId: 'r2' });
    assert.deepEqual(
      hits.map((h) => h.memory.id),
      [lonely.id],
    );
    assert.equal((await store.recall({ vector: query, limit: 20 })).memories.length, 20);
    await store.close();
  });

  describe('recall plan', () => {
    const S = 1_000_000_000n;
    const T0 = 1_700_000_000n * S;
    const at = (i: number) => T0 + BigInt(i) * 10n * S;
    const DIMS = 8;
    let path: string;
    let scan: SqliteMemoryStore;
    before(async () => {
      // 4,000 memories of 10 s: "mug" and "counter" are in more than 3,000 (common words), the rest are rare;
      // one memory spans most of the recording, so a window's memories do not all start inside it.
      path = join(dir, 'plans.sqlite');
      const writer = new SqliteMemoryStore({ path });
      let seed = 3;
      const random = () => ({
        model: 'test-embedder',
        vector: new Float32Array(DIMS).map(() => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5),
      });
      const colors = ['red', 'blue', 'green', 'black', 'white', 'grey', 'pink'];
      const entries = Array.from({ length: 4000 }, (_, i) => ({
        memory: sampleMemory({
          robotId: i % 2 === 0 ? 'r1' : 'r2',
          episode: Math.floor(i / 1000),
          start: at(i),
          text: `${i % 5 ? 'mug' : 'cup'} ${colors[i % 7]} ${i % 3 === 0 ? 'kitchen' : 'hallway'} ${i % 8 ? 'counter' : 'floor'}${i % 97 === 0 ? ' umbrella' : ''}`,
          pose: { stamp: at(i), frameId: 'map', x: i % 40, y: i % 31, z: 0, yaw: 0 },
          people: i % 23 === 0 ? ['person_1'] : [],
        }),
        embedding: random(),
      }));
      const long = sampleMemory({ robotId: 'r1', episode: 2, start: at(100) + 1n, text: 'a long watch of the red mug and the umbrella' });
      entries.push({ memory: { ...long, end: at(3500) }, embedding: random() });
      await writer.putMany(entries);
      await writer.close();
      scan = new SqliteMemoryStore({ path, filterFirstBelow: 0 });
    });
    after(() => scan.close());

    const hour = { since: at(2000), until: at(2360) };
    // Each selects at most 200 memories, so that the approximate vector search of the full scan is exact too.
    const queries: RecallQuery[] = [
      hour,
      { ...hour, robotId: 'r1' },
      { since: at(2900), robotId: 'r2', episode: 2, limit: 5 },
      { until: at(50) },
      { near: { x: 5, y: 5, radius: 1.5 }, asOf: at(3000) },
      { since: at(1000), until: at(1150), limit: 30 },
      { person: 'person_1', limit: 20 },
    ];
    const texts = ['mug', 'mug counter', 'red mug', 'umbrella mug', 'kitchen'];
    let seed = 11;
    const vector = () => ({
      model: 'test-embedder',
      vector: new Float32Array(DIMS).map(() => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5),
    });
    const summary = ({ memories }: RecallResult) => memories.map((h) => `${h.memory.id} ${h.score.toFixed(9)} ${h.matchedBy.join('+')}`);

    /** Asserts that both plans give the same memories, scores and retrievers; returns how many were found. */
    async function compare(planned: SqliteMemoryStore, query: RecallQuery): Promise<number> {
      const scanned = summary(await scan.recall(query));
      assert.deepEqual(summary(await planned.recall(query)), scanned);
      return scanned.length;
    }

    it('ranks only the selected memories when filters are selective, with the same results as ranking every match', async () => {
      const lines: string[] = [];
      const logger: Logger = { debug: (m) => lines.push(m), info: () => {}, warn: () => {}, error: () => {} };
      const planned = new SqliteMemoryStore({ path, logger });
      try {
        let empty = 0;
        for (const filters of queries) {
          for (const text of texts) {
            if ((await compare(planned, { ...filters, text })) === 0) empty++;
            assert.ok((await compare(planned, { ...filters, text, vector: vector() })) > 0);
          }
          assert.ok((await compare(planned, { ...filters, vector: vector() })) > 0);
        }
        assert.ok(empty <= 3, `${empty} of ${queries.length * texts.length} full-text comparisons found nothing`);
        // Every query with a vector or only common words is planned (rare words are ranked directly).
        assert.ok(lines.filter((l) => /recall ranks the \d+ memories selected by/.test(l)).length >= queries.length * (texts.length + 1));
        const { memories: longWatch } = await planned.recall({ ...hour, text: 'umbrella' });
        assert.ok(
          longWatch.some((h) => h.memory.text.startsWith('a long watch')),
          'a memory that started long before the window is in it',
        );
      } finally {
        await planned.close();
      }
    });

    it('ranks every match when the filters select more memories than the bound', async () => {
      const lines: string[] = [];
      const logger: Logger = { debug: (m) => lines.push(m), info: () => {}, warn: () => {}, error: () => {} };
      const planned = new SqliteMemoryStore({ path, filterFirstBelow: 500, logger });
      try {
        // The long memory widens the window's range in the start-time index beyond 500 memories; the robot and
        // episode bound the rest to about 250.
        await compare(planned, { since: at(2500), until: at(2536), robotId: 'r1', episode: 2, text: 'mug counter', vector: vector() });
        assert.match(lines.join('\n'), /recall ranks the 19 memories selected by memories_window \(25\d in its range\)/);
        lines.length = 0;
        await compare(planned, { since: at(1000), until: at(2000), text: 'mug counter', limit: 30 });
        await compare(planned, { robotId: 'r1', text: 'mug' });
        assert.deepEqual(lines, [], '1,000 memories in the window and 2,000 of r1 exceed the bound of 500');
      } finally {
        await planned.close();
      }
    });
  });

  it('sees memories another connection wrote, vectors included', async () => {
    const path = join(dir, 'shared.sqlite');
    const reader = new SqliteMemoryStore({ path });
    const writer = new SqliteMemoryStore({ path });
    const v = { model: 'test-embedder', vector: new Float32Array(32).fill(0.1) };
    await writer.put(sampleMemory(), v);
    assert.equal((await reader.recall({ vector: v })).memories.length, 1);
    await writer.put(sampleMemory({ start: 1n }), v);
    assert.equal((await reader.recall({ vector: v })).memories.length, 2, 'the reader reloads its vector index');
    await writer.close();
    await reader.close();
  });
});
