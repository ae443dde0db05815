import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteMemoryStore } from './SqliteMemoryStore.js';
import { SQLITE_MIGRATIONS } from './sqliteMigrations.js';
import { memoryStoreContract, sampleMemory } from './MemoryStore.contract.test.js';

describe('SqliteMemoryStore', function () {
  let dir: string;
  let n = 0;
  let last = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-sqlite-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  memoryStoreContract('SQLite', {
    open: async (options) => {
      last = join(dir, `store${n++}`, 'memory.sqlite');
      return new SqliteMemoryStore({ path: last, ...options });
    },
    reopen: async (options) => new SqliteMemoryStore({ path: last, ...options }),
  });

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

  it('refuses a file written by a newer schema, naming the versions', async () => {
    const path = join(dir, 'newer.sqlite');
    const db = new Database(path);
    db.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (${SQLITE_MIGRATIONS.length + 1})`);
    db.close();
    assert.throws(() => new SqliteMemoryStore({ path }), new RegExp(`schema version ${SQLITE_MIGRATIONS.length + 1}.*up to ${SQLITE_MIGRATIONS.length}`));
  });

  it('stores a batch in one transaction: all or nothing', async () => {
    const store = new SqliteMemoryStore({ path: join(dir, 'batch.sqlite') });
    const v = new Float32Array(8).fill(1);
    const batch = [0n, 1n, 2n].map((start) => ({ memory: sampleMemory({ start, text: `batch ${start} cat` }), embedding: v }));
    assert.equal(await store.putMany(batch), 3);
    assert.equal(await store.putMany(batch), 0, 'a replayed batch stores nothing');
    await assert.rejects(store.putMany([{ memory: sampleMemory({ start: 3n }), embedding: v }, { memory: sampleMemory({ start: 4n }), embedding: new Float32Array(4) }]), /4 dimensions/);
    assert.equal(await store.count(), 3, 'the failed batch left nothing behind');
    assert.equal((await store.recall({ vector: v, text: 'cat' })).length, 3);
    await store.close();
  });

  it('widens the vector search until a selective filter has results', async () => {
    const store = new SqliteMemoryStore({ path: join(dir, 'selective.sqlite') });
    const dims = 32;
    const query = new Float32Array(dims).fill(1);
    let seed = 1;
    const random = () => new Float32Array(dims).map(() => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.3);
    await store.putMany(Array.from({ length: 5000 }, (_, i) => ({ memory: sampleMemory({ start: BigInt(i), text: `crowd ${i}` }), embedding: random() })));
    const lonely = sampleMemory({ robotId: 'r2', text: 'the only memory of r2' });
    await store.put(lonely, new Float32Array(dims).fill(-1));
    const hits = await store.recall({ vector: query, robotId: 'r2' });
    assert.deepEqual(hits.map((h) => h.memory.id), [lonely.id]);
    assert.equal((await store.recall({ vector: query, limit: 20 })).length, 20);
    await store.close();
  });

  it('sees memories another connection wrote, vectors included', async () => {
    const path = join(dir, 'shared.sqlite');
    const reader = new SqliteMemoryStore({ path });
    const writer = new SqliteMemoryStore({ path });
    const v = new Float32Array(32).fill(0.1);
    await writer.put(sampleMemory(), v);
    assert.equal((await reader.recall({ vector: v })).length, 1);
    await writer.put(sampleMemory({ start: 1n }), v);
    assert.equal((await reader.recall({ vector: v })).length, 2, 'the reader reloads its vector index');
    await writer.close();
    await reader.close();
  });
});
