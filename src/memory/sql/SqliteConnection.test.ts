import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteConnection } from './SqliteConnection.js';

describe('SqliteConnection', () => {
  let db: Database.Database;
  let sql: SqliteConnection;
  beforeEach(() => {
    db = new Database(':memory:');
    db.defaultSafeIntegers(true);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT NOT NULL)');
    sql = new SqliteConnection(db, 'TestStore');
  });
  afterEach(() => sql.close());

  it('keeps statements from outside an open transaction out of it until it ends', async () => {
    const seen: string[] = [];
    const failing = sql.transaction(async (tx) => {
      await tx.run('INSERT INTO t (label) VALUES (@label)', { label: 'half-written' });
      await sleep(30);
      throw new Error('the second half failed');
    });
    await sleep(5);
    // Issued while the transaction is open and waiting: on one better-sqlite3 connection it would read the
    // uncommitted row, and its write would be rolled back with the transaction.
    const reading = sql.all<{ label: string }>('SELECT label FROM t').then((rows) => seen.push(...rows.map((r) => r.label)));
    const writing = sql.run("INSERT INTO t (label) VALUES ('outside')");
    await assert.rejects(failing, /the second half failed/);
    await Promise.all([reading, writing]);
    assert.deepEqual(seen, []);
    assert.deepEqual(
      (await sql.all<{ label: string }>('SELECT label FROM t')).map((r) => r.label),
      ['outside'],
    );
  });

  it('runs transactions one after another, each committed whole', async () => {
    const add = (label: string) =>
      sql.transaction(async (tx) => {
        await tx.run('INSERT INTO t (label) VALUES (@label)', { label: `${label} 1` });
        await sleep(5);
        await tx.run('INSERT INTO t (label) VALUES (@label)', { label: `${label} 2` });
      });
    await Promise.all([add('a'), add('b'), add('c')]);
    const labels = (await sql.all<{ label: string }>('SELECT label FROM t ORDER BY id')).map((r) => r.label);
    assert.deepEqual(labels, ['a 1', 'a 2', 'b 1', 'b 2', 'c 1', 'c 2']);
  });
});
