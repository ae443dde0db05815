import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../config/schema.js';
import { silentLogger } from '../log.js';
import { describeStore, openStore } from './openStore.js';
import { StoreError } from './StoreError.js';

describe('openStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'taskmem-open-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('raises every failure of the store as a StoreError naming the store and the call', async () => {
    const path = join(dir, 'memory.sqlite');
    const store = await openStore(configSchema.parse({ store: { path } }).store, { logger: silentLogger });
    assert.equal(await store.count(), 0, 'calls pass through');
    await store.close();
    await assert.rejects(store.count(), (error: Error) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, new RegExp(`^store sqlite ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: count failed: `));
      assert.ok(error.cause, 'the driver error is kept as the cause');
      return true;
    });
  });

  it('names a PostgreSQL store without its password or secret query parameters', () => {
    const store = (url: string) => configSchema.parse({ store: { backend: 'postgres', url } }).store;
    assert.equal(describeStore(store('postgresql://taskmem:s3cret@db:5432/memory')), 'postgres postgresql://taskmem:***@db:5432/memory');
    assert.equal(
      describeStore(store('postgresql://db/memory?sslmode=require&password=hunter2')),
      'postgres postgresql://db/memory?sslmode=require&password=***',
    );
  });

  it('refuses a store that must exist and does not, and says what to do', async () => {
    const path = join(dir, 'none.sqlite');
    await assert.rejects(
      openStore(configSchema.parse({ store: { path } }).store, { logger: silentLogger, mustExist: true }),
      (error: Error) => {
        assert.ok(error instanceof StoreError);
        assert.match(error.message, /no memory store at .*none\.sqlite \(store\.path\); memorize something first/);
        return true;
      },
    );
  });
});
