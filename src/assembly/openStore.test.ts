import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../config/schema.js';
import { silentLogger } from '../log.js';
import { openStore } from './openStore.js';
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
