import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inFile, randomFace } from '../../test/support/storeBytes.js';
import { SqliteMemoryStore } from './SqliteMemoryStore.js';

describe('SqliteMemoryStore: forgetting a person', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-identities-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("forgets a person's embeddings from the file's bytes, not only from its tables, and keeps everyone else's", async () => {
    const path = join(dir, 'memory.sqlite');
    const store = new SqliteMemoryStore({ path });
    const hers = [randomFace(), randomFace(), randomFace()];
    const his = randomFace();
    const { id } = await store.createIdentity({ memoryId: 'r/0/1', stamp: 1n, embedding: hers[0]! });
    await store.observeIdentity(id, { memoryId: 'r/0/2', stamp: 2n, embedding: hers[1]! }, 10);
    await store.observeIdentity(id, { memoryId: 'r/0/3', stamp: 3n, embedding: hers[2]! }, 10);
    const other = await store.createIdentity({ memoryId: 'r/0/3', stamp: 3n, embedding: his });
    assert.deepEqual(inFile(path, [...hers, his]), [true, true, true, true]);

    const forgotten = await store.forgetIdentity(id);
    assert.equal(forgotten?.embeddings, 3);
    assert.equal(forgotten?.erased, true);
    assert.deepEqual(inFile(path, hers), [false, false, false]);
    assert.deepEqual(
      (await store.identities()).map((i) => i.id),
      [other.id],
    );
    await store.close();
    assert.deepEqual(inFile(path, [...hers, his]), [false, false, false, true]);
  });

  it('erases the embeddings a person had already dropped for newer ones when the person is forgotten', async () => {
    const path = join(dir, 'memory.sqlite');
    const store = new SqliteMemoryStore({ path });
    const faces = [randomFace(), randomFace(), randomFace()];
    const { id } = await store.createIdentity({ memoryId: 'r/0/1', stamp: 1n, embedding: faces[0]! });
    // Only the newest embedding is kept: the first two are deleted as the later ones come.
    await store.observeIdentity(id, { memoryId: 'r/0/2', stamp: 2n, embedding: faces[1]! }, 1);
    await store.observeIdentity(id, { memoryId: 'r/0/3', stamp: 3n, embedding: faces[2]! }, 1);
    assert.equal((await store.identity(id))?.embeddings, 1);
    assert.equal((await store.forgetIdentity(id))?.erased, true);
    await store.close();
    assert.deepEqual(inFile(path, faces), [false, false, false]);
  });

  it('says when another connection kept the log from being erased', async () => {
    const path = join(dir, 'memory.sqlite');
    const store = new SqliteMemoryStore({ path });
    const { id } = await store.createIdentity({ memoryId: 'r/0/1', stamp: 1n, embedding: randomFace() });
    const release = holdSnapshot(path);
    const forgotten = await store.forgetIdentity(id);
    assert.equal(forgotten?.erased, false);
    assert.equal(await store.identity(id), null);
    release();
    await store.close();
  });
});

/**
 * Another connection in the middle of a read: an iterator left open keeps its statement, and so its snapshot of
 * the log, alive until the returned function is called.
 */
function holdSnapshot(path: string): () => void {
  const db = new Database(path, { readonly: true });
  const rows = db.prepare('SELECT num FROM identities').iterate();
  rows.next();
  return () => {
    rows.return?.();
    db.close();
  };
}
