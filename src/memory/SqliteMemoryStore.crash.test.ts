import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteMemoryStore } from './SqliteMemoryStore.js';
import { SQLITE_MIGRATIONS } from './sqliteMigrations.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** A writer that stores memories in a loop and prints each id once its put has resolved. */
const WRITER = `
import { SqliteMemoryStore } from ${JSON.stringify(join(here, 'SqliteMemoryStore.ts'))};
import { sampleMemory } from ${JSON.stringify(join(here, 'MemoryStore.contract.test.ts'))};
const store = new SqliteMemoryStore({ path: process.argv[2] });
const first = Number(process.argv[3]);
for (let i = first; ; i++) {
  const memory = sampleMemory({ start: BigInt(i) * 10_000_000_000n, segmentIndex: i, text: 'crash test memory ' + i + ' with a green lamp' });
  await store.put(memory, { model: 'crash-embedder', vector: new Float32Array(64).map((_, d) => Math.sin(i + d)) });
  process.stdout.write(memory.id + '\\n');
}
`;

/** Opens the store at argv[2] once the clock reaches argv[3] (ms), so that several processes migrate one new file at once. */
const OPENER = `
import { SqliteMemoryStore } from ${JSON.stringify(join(here, 'SqliteMemoryStore.ts'))};
while (Date.now() < Number(process.argv[3]));
const store = new SqliteMemoryStore({ path: process.argv[2] });
await store.close();
`;

describe('SqliteMemoryStore opened by several processes at once', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-open-'));
    writeFileSync(join(dir, 'opener.mts'), OPENER);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates a new file once: every process opens it, none applies a step twice', async () => {
    for (let round = 0; round < 3; round++) {
      const path = join(dir, `new-${round}.sqlite`);
      const at = String(Date.now() + 4_000);
      const exits = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'opener.mts'), path, at], {
            cwd: join(here, '../..'),
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let err = '';
          child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
          const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
          return { code, err };
        }),
      );
      assert.deepEqual(
        exits.map((e) => e.code),
        [0, 0, 0, 0],
        exits.map((e) => e.err).join('\n'),
      );
      const db = new Database(path, { readonly: true });
      const version = db.prepare('SELECT version FROM schema_version').pluck().all();
      db.close();
      assert.deepEqual(version, [SQLITE_MIGRATIONS.length]);
    }
  });
});

describe('SqliteMemoryStore under SIGKILL', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-crash-'));
    writeFileSync(join(dir, 'writer.mts'), WRITER);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the writer until it has confirmed `after` puts, kills it with SIGKILL, returns every confirmed id. */
  async function killMidRun(path: string, first: number, after: number): Promise<string[]> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'writer.mts'), path, String(first)], {
      cwd: join(here, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.split('\n').length > after) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`the writer exited before it was killed:\n${err}`)));
    });
    assert.equal(await exited, 'SIGKILL');
    // Only complete lines were confirmed: a put that had not resolved printed nothing.
    return out.split('\n').slice(0, -1);
  }

  it('loses no confirmed memory and leaves a readable, consistent file', async () => {
    const path = join(dir, 'memory.sqlite');
    const confirmed = [...(await killMidRun(path, 0, 150)), ...(await killMidRun(path, 100, 150))];
    assert.ok(confirmed.length >= 300);

    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const stored = new Set(db.prepare('SELECT id FROM memories').pluck().all() as string[]);
    db.close();
    const missing = confirmed.filter((id) => !stored.has(id));
    assert.deepEqual(missing, [], 'every id printed after its put resolved is in the file');

    const store = new SqliteMemoryStore({ path });
    try {
      const check = new Database(path);
      check.prepare("INSERT INTO memories_fts(memories_fts) VALUES ('integrity-check')").run();
      check.close();
      assert.equal(await store.count(), stored.size, 'the replayed range 100..149 was stored once');
      const { memories: hits } = await store.recall({
        text: 'memory 120',
        vector: { model: 'crash-embedder', vector: new Float32Array(64).map((_, d) => Math.sin(120 + d)) },
        limit: 3,
      });
      assert.equal(hits[0]!.memory.segmentIndex, 120);
      assert.deepEqual(hits[0]!.matchedBy, ['text', 'vector']);
    } finally {
      await store.close();
    }
  });
});
