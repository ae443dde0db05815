import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/schema.js';
import { openMemoryStore } from './openMemoryStore.js';
import { SqliteMemoryStore } from './SqliteMemoryStore.js';
import { sampleMemory } from './MemoryStore.contract.test.js';

describe('openMemoryStore', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-open-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the SQLite file store.path names, with its settings', async () => {
    const path = join(dir, 'robot', 'memory.sqlite');
    const config = parseConfig({ store: { path, thumbnails: true, synchronous: 'full' } }, 'test');
    const store = await openMemoryStore(config.store);
    assert.ok(store instanceof SqliteMemoryStore);
    const thumbnails = [new Uint8Array([0xff, 0xd8, 9])];
    await store.put(sampleMemory({ thumbnails }));
    assert.deepEqual((await store.get(sampleMemory().id))!.thumbnails, thumbnails);
    await store.close();
  });

  it('says what is missing when postgres has no url', async () => {
    const config = parseConfig({ store: { backend: 'postgres' } }, 'test');
    await assert.rejects(openMemoryStore(config.store), /store.url is empty/);
  });
});
