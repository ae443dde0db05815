import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORGOTTEN_WORD, storeQuotedMemory } from '../../memory/MemoryStore.contract.test.js';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';
import { taskmem } from '../../../test/support/taskmemProcess.js';

describe('taskmem forget', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-forget-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('forgets a memory by its words with the answers and pairs quoting it, leaving no byte of it in the store', async () => {
    const path = join(dir, 'memory.sqlite');
    const store = new SqliteMemoryStore({ path, thumbnails: true });
    const forgotten = await storeQuotedMemory(store);
    await store.close();
    const holds = () => [path, `${path}-wal`].some((file) => existsSync(file) && readFileSync(file).includes(FORGOTTEN_WORD));
    assert.ok(holds(), 'the word is in the file before');

    const run = await taskmem(['forget', '--text', `the ${FORGOTTEN_WORD}`, '--store.path', path]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim().split('\n').length, 1);
    assert.match(run.stdout, new RegExp(`^forgot ${forgotten.id} `));
    assert.equal(run.stderr.trim(), 'taskmem forget: 1 memory forgotten');
    assert.ok(!holds(), 'no byte of the word is left in the file or its log');

    const reopened = new SqliteMemoryStore({ path, thumbnails: true });
    try {
      assert.equal(await reopened.count(), 2, 'the other memories are kept');
      assert.deepEqual(
        (await reopened.answeredTasks()).map((t) => t.answer === null),
        [true, true, false],
        'the answers that cite or quote it are gone',
      );
      assert.deepEqual(
        (await reopened.preferences()).map((p) => p.id),
        ['elsewhere'],
      );
    } finally {
      await reopened.close();
    }
  });

  it('refuses a query that names nothing (exit 2) and a store that is not there (exit 4), on one line', async () => {
    const nothing = await taskmem(['forget', '--store.path', join(dir, 'memory.sqlite')]);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /^taskmem forget: what to forget\? give --id, --text, --since or --until/);
    const missing = await taskmem(['forget', '--id', 'r1/0/1', '--store.path', join(dir, 'nowhere.sqlite')]);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr.trim(), /^taskmem forget: no memory store at \S+nowhere\.sqlite \(store\.path\); memorize something first/);
    assert.ok(!existsSync(join(dir, 'nowhere.sqlite')), 'no store is created');
  });
});
