import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { terminalSafe } from '../../src/text/terminalSafe.js';
import { ingest, storedIds } from '../support/ingestProcess.js';
import { StandInModelServer } from '../support/StandInModelServer.js';
import { damagedCopy, writeLookalikeImageRecording, topicFlags, writeRecording, type RecordingScript } from '../support/recording.js';

describe('taskmem ingest (command)', function () {
  // Several full ingests per test, each loading the detection models: minutes on a busy shared machine.
  this.timeout(240_000);
  let dir: string;
  let script: RecordingScript;
  let server: StandInModelServer;
  const flags = (store: string) => [
    '--robot_id',
    'r1',
    '--store.path',
    store,
    '--memorizer.url',
    server.url,
    '--memorizer.retries',
    '0',
    ...topicFlags(script),
  ];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-ingest-cli-'));
    script = await writeRecording({ path: join(dir, 'run.mcap'), durationS: 60, fps: 2 });
    server = await new StandInModelServer().start();
    let n = 0;
    server.onChat = async () => {
      await sleep(300);
      n++;
      return `<think>seen</think>{"description": "Scene ${n}: a sign with ${n * 7} letters and ${n + 2} chairs by a window."}`;
    };
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('survives SIGKILL mid-run with an intact store holding every memory it reported, stops cleanly on Ctrl-C, then resumes without duplicates', async () => {
    const store = join(dir, 'crash.sqlite');
    const killed = await ingest([script.path, ...flags(store)], (out) => storedIds(out).length >= 2);
    assert.equal(killed.signal, 'SIGKILL', `the run was killed mid-way (stderr: ${killed.stderr})`);
    const reported = storedIds(killed.stdout);

    const db = new Database(store, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const ids = new Set(db.prepare('SELECT id FROM memories').pluck().all() as string[]);
      for (const id of reported) assert.ok(ids.has(id), `memory ${id} was reported stored and is in the file`);
      assert.ok(ids.size < 6, 'the run was stopped before the end');
    } finally {
      db.close();
    }

    // Ctrl-C: the segment in flight is cancelled, the run says how to resume and exits with 130.
    const interrupted = await ingest([script.path, ...flags(store)], (out) => storedIds(out).length >= 1, 'SIGINT');
    assert.equal(interrupted.code, 130, interrupted.stderr);
    assert.match(interrupted.stderr, /resuming/);
    assert.match(interrupted.stderr, /interrupted: run the same command again to resume/);
    reported.push(...storedIds(interrupted.stdout));

    const rerun = await ingest([script.path, ...flags(store)]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, /resuming/);
    const db2 = new Database(store, { readonly: true });
    try {
      const rows = db2.prepare('SELECT id, start_ns FROM memories ORDER BY start_ns').all() as { id: string }[];
      assert.equal(rows.length, 6, 'six 10 s segments, each stored once');
      assert.equal(new Set(rows.map((r) => r.id)).size, 6);
      for (const id of reported) assert.ok(!storedIds(rerun.stdout).includes(id), `${id} was not memorized again`);
    } finally {
      db2.close();
    }
  });

  it('stops at once on Ctrl-C while the model hangs, recording the segment as failed, and a rerun memorizes it', async () => {
    const store = join(dir, 'hanging.sqlite');
    server.failNext({ kind: 'hang' }, 100);
    const requestsBefore = server.chatRequests().length;
    // Three retries at the default 120 s timeout: without cancelling, this segment alone would take eight minutes.
    const slow = ['--memorizer.retries', '3', '--memorizer.timeout_s', '120', '--memorizer.fallback', 'false'];
    const stopped = await ingest([script.path, ...flags(store), ...slow], () => server.chatRequests().length > requestsBefore, 'SIGINT');
    const exitedAfterMs = Date.now() - stopped.signalledAt!;
    server.clearFaults();
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.ok(exitedAfterMs < 15_000, `exited ${exitedAfterMs} ms after Ctrl-C`);
    assert.equal(server.chatRequests().length, requestsBefore + 1, 'no retry was sent after Ctrl-C');
    assert.match(stopped.stderr, /the segment in flight is cancelled and recorded as failed/);
    const db = new Database(store, { readonly: true });
    try {
      const failures = db.prepare('SELECT segment_index, reason FROM failures').all() as { segment_index: number; reason: string }[];
      assert.ok(
        failures.some((f) => f.segment_index === 0 && /^aborted: /.test(f.reason)),
        `segment 0 recorded as failed: ${JSON.stringify(failures)}`,
      );
      assert.equal(db.prepare('SELECT count(*) FROM memories').pluck().get(), 0);
    } finally {
      db.close();
    }

    const rerun = await ingest([script.path, ...flags(store)]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const db2 = new Database(store, { readonly: true });
    try {
      assert.equal(db2.prepare('SELECT count(*) FROM memories').pluck().get(), 6);
      assert.equal(db2.prepare('SELECT count(*) FROM failures').pluck().get(), 0);
    } finally {
      db2.close();
    }
  });

  it('refuses a recording with flipped bytes in a chunk, naming the chunk and its offset, and reads it with --ignore-crc', async () => {
    const damaged = join(dir, 'damaged.mcap');
    const { chunkOffset } = await damagedCopy(script.path, damaged, { chunk: 1 });
    const store = join(dir, 'damaged.sqlite');
    const refused = await ingest([damaged, ...flags(store)]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(`taskmem ingest: damaged\\.mcap: the data section .* chunk 2 of \\d+ at offset ${chunkOffset} does not match its CRC`),
    );
    assert.match(refused.stderr, /run again with --ignore-crc/);
    assert.equal(storedIds(refused.stdout).length, 0, 'nothing was memorized from the damaged file');

    const salvaged = await ingest([damaged, ...flags(store), '--ignore-crc']);
    assert.equal(salvaged.code, 0, salvaged.stderr);
    assert.match(
      salvaged.stderr,
      new RegExp(
        `warning: damaged\\.mcap: chunk 2 of \\d+ at offset ${chunkOffset} does not match its CRC .*read anyway \\(--ignore-crc\\)`,
      ),
    );
    assert.equal(storedIds(salvaged.stdout).length, 6);
  });

  it('refuses a camera topic whose recorded definition is not the standard Image, naming topic, schema and field (exit 2)', async () => {
    const lookalike = join(dir, 'lookalike.mcap');
    await writeLookalikeImageRecording(lookalike);
    const run = await ingest([lookalike, '--store.path', join(dir, 'lookalike.sqlite'), '--audio.type', 'none', '--pose.topic', '']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /taskmem ingest: lookalike\.mcap: topic \/camera\/image_raw is recorded as sensor_msgs\/msg\/Image, but the message definition recorded with it has no field header \(taskmem reads header\.stamp/,
    );
    assert.doesNotMatch(run.stderr, /Cannot read properties|\n\s+at /, 'no stack trace');
  });

  it('prints stored memories terminal-safe, one line each, and never the password of memorizer.url', async () => {
    const store = join(dir, 'escapes.sqlite');
    const onChat = server.onChat;
    let n = 0;
    // The first memory carries a window-title escape, a one-byte CSI and a newline that would forge a line.
    server.onChat = () =>
      ++n === 1
        ? '{"description": "A sign reads \\u001b]0;owned\\u0007 EXIT \\u009b2J by the door.\\nstored r1/9/9 forged"}'
        : `{"description": "Scene ${n}: a shelf with ${n * 7} books and ${n + 2} chairs by a window."}`;
    const withPassword = server.url.replace('http://', 'http://robot:hunter2@');
    try {
      const run = await ingest([script.path, ...flags(store), '--memorizer.url', withPassword]);
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trim().split('\n');
      assert.equal(lines.length, 6, 'one line per memory, none forged');
      assert.match(
        lines[0]!,
        /^stored r1\/0\/\d+ \S+ A sign reads \\u001b\]0;owned\\u0007 EXIT \\u009b2J by the door\.\\u000astored r1\/9\/9 forged$/,
      );
      assert.equal(terminalSafe(run.stdout + run.stderr), run.stdout + run.stderr, 'nothing a terminal would act on is printed');
      assert.doesNotMatch(run.stdout + run.stderr, /hunter2/);
      const auth = server.requests.at(-1)!.headers.authorization;
      assert.equal(auth, `Basic ${Buffer.from('robot:hunter2').toString('base64')}`, 'the credentials authenticate the requests');
    } finally {
      server.onChat = onChat;
    }
  });

  it('explains a missing file, a missing topic and an unreachable endpoint, with distinct exit codes', async () => {
    const store = join(dir, 'errors.sqlite');
    const missing = await ingest([join(dir, 'nope.mcap'), ...flags(store)]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.mcap: no such file/);

    const noTopic = await ingest([script.path, ...flags(store), '--camera.topic', '/front/image_raw']);
    assert.equal(noTopic.code, 2);
    assert.match(noTopic.stderr, /no topic \/front\/image_raw \(camera\.topic, sensor_msgs\/msg\/Image\)/);
    assert.match(noTopic.stderr, /\/camera\/image_raw \(sensor_msgs\/msg\/Image, \d+ messages\)/);

    const gone = await new StandInModelServer().start();
    const goneUrl = gone.url;
    await gone.stop();
    const withPassword = goneUrl.replace('http://', 'http://robot:hunter2@');
    const unreachable = await ingest([script.path, ...flags(store), '--memorizer.url', withPassword, '--memorizer.fallback', 'false']);
    assert.equal(unreachable.code, 3);
    assert.match(unreachable.stderr, /policy endpoint http:\/\/robot:\*\*\*@127\.0\.0\.1:\d+\/v1 is unreachable \(ECONNREFUSED\)/);
    assert.doesNotMatch(unreachable.stderr, /hunter2/);
  });
});
