/**
 * `taskmem ingest` with more than one writer, a recording that moved, and a store that goes away: two ingests of
 * one robot never share an episode (SQLite and PostgreSQL 15), a copy of a recording is the same recording, a
 * store file deleted or replaced under the run stops it with exit 4, and a PostgreSQL server that stops
 * answering fails the run within its timeout instead of hanging. Every run is the real command in a child
 * process.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import Database from 'better-sqlite3';
import { ingest, storedIds } from '../support/ingestProcess.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { StandInModelServer } from '../support/StandInModelServer.js';
import { silentRecordingFlags, writeRecording, type RecordingScript } from '../support/recording.js';

/** Memories of a store as (id, episode, text) rows, from SQLite or PostgreSQL. */
type Row = { id: string; episode: number; text: string };

function sqliteRows(path: string): Row[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT id, episode, text FROM memories ORDER BY episode, start_ns').all() as Row[]).map((r) => ({
      ...r,
      episode: Number(r.episode),
    }));
  } finally {
    db.close();
  }
}

/** Whether a run holds a lease on episodes in the SQLite store (it has claimed its recording's). */
function leased(path: string): boolean {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'episodes'").pluck().get() === 1
      ? Number(db.prepare('SELECT count(*) FROM episodes WHERE lease_until_ms > 0').pluck().get()) > 0
      : false;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

async function postgresRows(url: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>('SELECT id, episode, text FROM memories ORDER BY episode, start_ns')).rows;
  } finally {
    await client.end();
  }
}

describe('taskmem ingest: concurrent writers, moved recordings, a store that goes away', function () {
  this.timeout(120_000);
  let dir: string;
  let kitchen: RecordingScript;
  let hallway: RecordingScript;
  let server: StandInModelServer;
  const flags = (store: string[]) => [
    '--robot_id',
    'r1',
    ...store,
    '--memorizer.url',
    server.url,
    '--memorizer.retries',
    '0',
    ...silentRecordingFlags(kitchen),
  ];
  const sqlite = (path: string) => ['--store.path', path];
  /** How long the stand-in model takes per memory. */
  let replyMs = 250;
  afterEach(() => (replyMs = 250));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-writers-'));
    // Two different recordings starting at the same stamp (as simulation runs do): in one episode their memories
    // would have the same ids.
    kitchen = await writeRecording({ path: join(dir, 'kitchen.mcap'), durationS: 30, fps: 2, audio: 'none' });
    hallway = await writeRecording({
      path: join(dir, 'hallway.mcap'),
      durationS: 30,
      fps: 2,
      audio: 'none',
      scenes: [{ fromS: 0, colour: '#208020', sign: 'HALLWAY' }],
    });
    assert.equal(kitchen.start, hallway.start);
    server = await new StandInModelServer().start();
    let n = 0;
    server.onChat = async () => {
      await sleep(replyMs);
      return `{"description": "Scene ${++n}: a sign with ${n * 3} letters on a wall."}`;
    };
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Ingests both recordings at once; both must keep all their memories, in distinct episodes. */
  async function twoAtOnce(store: string[], rows: () => Promise<Row[]> | Row[]): Promise<void> {
    const [a, b] = await Promise.all([ingest([kitchen.path, ...flags(store)]), ingest([hallway.path, ...flags(store)])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const stored = await rows();
    const reported = [...storedIds(a.stdout), ...storedIds(b.stdout)];
    assert.equal(reported.length, 6, 'three memories reported by each run');
    assert.deepEqual(stored.map((r) => r.id).sort(), [...reported].sort(), 'every memory reported is stored, none overwritten');
    assert.deepEqual([...new Set(stored.map((r) => r.episode))].sort(), [0, 1], 'one episode per recording');
    const episodeOf = (stdout: string) => new Set(storedIds(stdout).map((id) => stored.find((r) => r.id === id)!.episode));
    assert.equal(episodeOf(a.stdout).size, 1);
    assert.notDeepEqual([...episodeOf(a.stdout)], [...episodeOf(b.stdout)]);
  }

  it('gives two ingests of different recordings of one robot, at once into one SQLite file, distinct episodes', async () => {
    const store = join(dir, 'two.sqlite');
    await twoAtOnce(sqlite(store), () => sqliteRows(store));
  });

  describe('on PostgreSQL 15', function () {
    let postgres: TestPostgres;
    before(async () => {
      postgres = await startPostgres();
    });
    after(async () => {
      postgres.signal!('SIGCONT');
      await postgres.stop();
    });

    it('gives two ingests of different recordings of one robot, at once into one database, distinct episodes', async () => {
      await postgres.reset();
      await twoAtOnce(['--store.backend', 'postgres', '--store.url', postgres.url], () => postgresRows(postgres.url));
    });

    it('fails within its timeout, with exit 4 and one line, when the server stops answering; the rerun resumes', async () => {
      await postgres.reset();
      const store = [
        '--store.backend',
        'postgres',
        '--store.url',
        postgres.url,
        '--store.query_timeout_s',
        '2',
        '--store.connect_timeout_s',
        '2',
      ];
      let stoppedAt = 0;
      const stalled = await ingest(
        [kitchen.path, ...flags(store)],
        (out) => storedIds(out).length >= 1,
        () => {
          stoppedAt = Date.now();
          postgres.signal!('SIGSTOP');
        },
      );
      const took = Date.now() - stoppedAt;
      postgres.signal!('SIGCONT');
      assert.equal(stalled.code, 4, stalled.stderr);
      assert.ok(took < 15_000, `failed ${took} ms after the server stopped (query timeout 2 s)`);
      const errors = stalled.stderr.split('\n').filter((line) => line.startsWith('taskmem ingest:'));
      assert.equal(errors.length, 1, stalled.stderr);
      // Whichever call meets the stopped server first: a statement on an open connection, or a new connection.
      assert.match(
        errors[0]!,
        /the PostgreSQL server did not answer within 3 s \(store\.query_timeout_s 2 s|no connection to the PostgreSQL server within store\.connect_timeout_s \(2 s\)/,
      );
      assert.doesNotMatch(stalled.stderr, /\n\s+at /, 'no stack trace');

      const rerun = await ingest([kitchen.path, ...flags(store)]);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stderr, /resuming/);
      const rows = await postgresRows(postgres.url);
      assert.equal(rows.length, 3, 'three segments, each stored once');
      for (const id of storedIds(stalled.stdout)) assert.ok(!storedIds(rerun.stdout).includes(id), `${id} was not memorized again`);
    });
  });

  it('takes a copy of a recording under another name for the same recording: nothing is memorized twice', async () => {
    const store = join(dir, 'copy.sqlite');
    const first = await ingest([kitchen.path, ...flags(sqlite(store))]);
    assert.equal(first.code, 0, first.stderr);
    const before = sqliteRows(store);
    assert.equal(before.length, 3);

    mkdirSync(join(dir, 'elsewhere'), { recursive: true });
    const copy = join(dir, 'elsewhere', 'renamed copy.mcap');
    copyFileSync(kitchen.path, copy);
    const again = await ingest([copy, ...flags(sqlite(store))]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /0 memories stored, 3 already stored/);
    assert.deepEqual(sqliteRows(store), before, 'no new memory, none changed');
  });

  it('refuses a second ingest of the same recording into one store while the first runs (exit 4, naming the holder)', async () => {
    const store = join(dir, 'same.sqlite');
    const copy = join(dir, 'same copy.mcap');
    copyFileSync(kitchen.path, copy);
    // Slow enough that the first run is still memorizing when the second has started (12 s of model time).
    replyMs = 4000;
    let second: Promise<Awaited<ReturnType<typeof ingest>>> | null = null;
    const claimed = () => existsSync(store) && leased(store);
    const first = await ingest(
      [kitchen.path, ...flags(sqlite(store))],
      () => claimed(),
      () => {
        second = ingest([copy, ...flags(sqlite(store))]);
      },
    );
    const refused = await second!;
    assert.equal(first.code, 0, first.stderr);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /is being written by pid \d+ on /);
    assert.equal(sqliteRows(store).length, 3);
  });

  it('resumes an interrupted ingest from a moved copy of the recording, without duplicates', async () => {
    const store = join(dir, 'moved.sqlite');
    const original = join(dir, 'to-move.mcap');
    copyFileSync(kitchen.path, original);
    const killed = await ingest([original, ...flags(sqlite(store))], (out) => storedIds(out).length >= 1);
    assert.equal(killed.signal, 'SIGKILL');
    const kept = sqliteRows(store).length;
    assert.ok(kept >= 1 && kept < 3, 'stopped part-way');

    mkdirSync(join(dir, 'moved'), { recursive: true });
    const moved = join(dir, 'moved', 'kitchen-run.mcap');
    renameSync(original, moved);
    const resumed = await ingest([moved, ...flags(sqlite(store))]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`${3 - kept} memories stored, ${kept} already stored, 0 failed`));
    const rows = sqliteRows(store);
    assert.equal(rows.length, 3, 'three segments, each stored once');
    assert.deepEqual(new Set(rows.map((r) => r.episode)), new Set([0]));
    for (const id of storedIds(killed.stdout)) assert.ok(!storedIds(resumed.stdout).includes(id), `${id} was not memorized again`);
  });

  for (const [what, action, message] of [
    ['deleted', (store: string) => unlinkSync(store), /was deleted or moved while this process had it open/],
    [
      'replaced',
      (store: string) => {
        copyFileSync(store, `${store}.other`);
        renameSync(`${store}.other`, store);
      },
      /was replaced by another file while this process had it open/,
    ],
  ] as const) {
    it(`stops with exit 4 naming the path when the store file is ${what} during the ingest`, async () => {
      const store = join(dir, `${what}.sqlite`);
      const run = await ingest(
        [kitchen.path, ...flags(sqlite(store))],
        (out) => storedIds(out).length >= 1,
        () => action(store),
      );
      assert.equal(run.code, 4, run.stderr);
      const errors = run.stderr.split('\n').filter((line) => line.startsWith('taskmem ingest:'));
      assert.equal(errors.length, 1, run.stderr);
      assert.ok(errors[0]!.includes(store), errors[0]);
      assert.match(errors[0]!, message);
      assert.ok(storedIds(run.stdout).length < 3, 'nothing more was reported stored after the store went');
    });
  }
});
