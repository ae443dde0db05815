import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sampleMemory } from '../../src/memory/MemoryStore.contract.test.js';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import { writeLookalikeImageRecording, writeRecording, type RecordingScript } from '../support/recording.js';
import { storedIds, taskmem, type TaskmemRun } from '../support/taskmemProcess.js';

/** What never appears in what a user is shown: a stack frame, a bug report, a crash inside the code. */
const NOT_FOR_USERS = /^\s+at |internal error|Cannot read properties|Node\.js v\d/m;

/**
 * The run ended with `code` and its last line on stderr is `message`, on one line, with no stack trace anywhere;
 * `alone`: nothing else was printed to stderr (an error found before any work starts).
 */
function assertUserError(run: TaskmemRun, code: number, message: RegExp, { alone = true }: { alone?: boolean } = {}): void {
  const lines = run.stderr.trim().split('\n');
  assert.equal(run.code, code, run.stderr);
  assert.doesNotMatch(run.stderr, NOT_FOR_USERS, 'no stack trace');
  assert.match(lines.at(-1)!, message);
  if (alone) assert.equal(lines.length, 1, `one line: ${run.stderr}`);
}

/** A store of 100 memories at `path` with every page but the first (header and schema) overwritten, as a failing disk leaves them. */
async function damagedStore(path: string): Promise<string> {
  const opened = new SqliteMemoryStore({ path });
  for (let i = 0; i < 100; i++)
    await opened.put(sampleMemory({ start: BigInt(i) * 10_000_000_000n + 1n, text: `memory ${i} ${'x'.repeat(400)}` }));
  await opened.close();
  const bytes = readFileSync(path);
  bytes.fill(0x5a, 4096);
  writeFileSync(path, bytes);
  return path;
}

/**
 * Every error a user can cause, as a user causes it: `taskmem` run as a child process, as from a shell. Each ends
 * in one line naming the problem and what to do, with the exit code of its kind (src/cli/exitCodes.ts).
 */
describe('errors a user can cause: one line with the fix, and the documented exit code', function () {
  this.timeout(180_000);
  let dir: string;
  let script: RecordingScript;
  /** Flags that read the test recording with the embedded perception memorizer (no model server). */
  const flags = () => ['--camera.topic', script.config.camera.topic, '--audio.type', 'none', '--pose.topic', ''];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-user-errors-'));
    script = await writeRecording({ path: join(dir, 'run.mcap'), durationS: 60, fps: 1, audio: 'none', pose: 'none' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a folder that is not a readable bag: exit 2, saying why and naming the .mcap file inside it', async () => {
    const bag = join(dir, 'run_bag');
    mkdirSync(bag);
    symlinkSync(script.path, join(bag, 'run_bag_0.mcap'));
    writeFileSync(join(bag, 'metadata.yaml'), 'rosbag2_bagfile_information: {}\n');
    const store = join(dir, 'folder.sqlite');
    assertUserError(
      await taskmem(['ingest', bag, ...flags(), '--store.path', store]),
      2,
      /^taskmem ingest: \S+run_bag\/metadata\.yaml: not a rosbag2 metadata\.yaml \(rosbag2_bagfile_information\.storage_identifier: .+\); give the \.mcap file in it, e\.g\. \S+run_bag\/run_bag_0\.mcap$/,
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    assertUserError(
      await taskmem(['ingest', empty, ...flags(), '--store.path', store]),
      2,
      /^taskmem ingest: \S+empty is a folder, not a rosbag2 bag: it holds no metadata\.yaml and no \.db3 file$/,
    );
    assert.ok(!existsSync(store), 'nothing was opened');
  });

  it('a missing or unreadable recording: exit 2, one line each', async () => {
    symlinkSync(join(dir, 'gone.mcap'), join(dir, 'dangling.mcap'));
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    writeFileSync(join(dir, 'notes.txt'), 'not a recording');
    const cases: [string, RegExp][] = [
      [join(dir, 'nope.mcap'), /nope\.mcap: no such file; check the path/],
      [join(dir, 'dangling.mcap'), /dangling\.mcap: no such file; check the path/],
      [join(dir, 'loop-a'), /loop-a: a loop of symbolic links; give the recording file itself$/],
      [join(dir, 'notes.txt'), /notes\.txt: not an MCAP file \(a rosbag2 recording made with `ros2 bag record -s mcap` is expected\)$/],
    ];
    const runs = await Promise.all(
      cases.map(([recording]) => taskmem(['ingest', recording, ...flags(), '--store.path', join(dir, 'missing.sqlite')])),
    );
    for (const [i, [, message]] of cases.entries()) assertUserError(runs[i]!, 2, message);
  });

  it('a camera topic whose recorded definition is not the standard Image: exit 2, never a crash reading it', async () => {
    const lookalike = join(dir, 'lookalike.mcap');
    await writeLookalikeImageRecording(lookalike);
    assertUserError(
      await taskmem(['ingest', lookalike, '--audio.type', 'none', '--pose.topic', '', '--store.path', join(dir, 'lookalike.sqlite')]),
      2,
      /^taskmem ingest: lookalike\.mcap: topic \/camera\/image_raw is recorded as sensor_msgs\/msg\/Image, but the message definition recorded with it has no field header .*; record the topic with the standard message$/,
    );
    assertUserError(
      await taskmem(['ingest', script.path, ...flags(), '--camera.type', 'compressed', '--store.path', join(dir, 'lookalike.sqlite')]),
      2,
      /carries sensor_msgs\/msg\/Image, but camera\.type asks for sensor_msgs\/msg\/CompressedImage; set camera\.type to the type it carries, or camera\.topic to a topic of sensor_msgs\/msg\/CompressedImage \(the recording has \/camera\/image_raw \(sensor_msgs\/msg\/Image, 60 messages\)\)$/,
    );
  });

  it('a full disk under the store (a file-size limit): exit 4 naming the cause, and a rerun completes with nothing lost', async () => {
    const store = join(dir, 'full.sqlite');
    // 300 KB: the store opens, and the keyframe thumbnails fill it after a few memories.
    const full = await taskmem(['ingest', script.path, ...flags(), '--store.path', store, '--store.thumbnails', 'true'], {
      fileSizeLimitBlocks: 600,
    });
    assertUserError(
      full,
      4,
      /^taskmem ingest: store sqlite \S+full\.sqlite: \w+ failed: disk I\/O error; the store's disk could not write or read it \(full, a file-size limit such as ulimit -f, or failing\); check the disk and run the same command again: what was committed is kept$/,
      { alone: false },
    );
    const before = storedIds(full.stdout);
    assert.ok(before.length > 0, 'some memories were committed before the disk filled');
    const rerun = await taskmem(['ingest', script.path, ...flags(), '--store.path', store, '--store.thumbnails', 'true']);
    assert.equal(rerun.code, 0, rerun.stderr);
    const db = new Database(store, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const ids = db.prepare('SELECT id FROM memories').pluck().all() as string[];
      assert.equal(ids.length, 6, 'every segment is memorized in the end');
      for (const id of before) assert.ok(ids.includes(id), `${id}, committed before the disk filled, is kept`);
    } finally {
      db.close();
    }
  });

  it('a full disk under an output file: exit 5 (not the store’s 4), the earlier file kept and no partial file left', async () => {
    const store = join(dir, 'page.sqlite');
    const opened = new SqliteMemoryStore({ path: store });
    for (let i = 0; i < 200; i++)
      await opened.put(
        sampleMemory({
          start: BigInt(Date.now() - 3_600_000 + i * 10_000) * 1_000_000n,
          text: `Shelf ${i}: ${'a row of labelled boxes. '.repeat(20)}`,
        }),
      );
    await opened.close();
    const folder = join(dir, 'pages');
    mkdirSync(folder);
    const page = join(folder, 'timeline.html');
    writeFileSync(page, '<p>the earlier page</p>');
    const run = await taskmem(['report', '--store.path', store, '--out', page], { fileSizeLimitBlocks: 100 });
    assertUserError(
      run,
      5,
      /^taskmem report: cannot write \S+timeline\.html: the file may not grow this large \(a file-size limit such as ulimit -f\); raise the limit or write it elsewhere$/,
    );
    assert.equal(readFileSync(page, 'utf8'), '<p>the earlier page</p>');
    assert.deepEqual(readdirSync(folder), ['timeline.html'], 'no partial file');
  });

  it('a damaged store file, or a file that is not a store: exit 4, naming how to recover it', async () => {
    const damaged = await damagedStore(join(dir, 'damaged.sqlite'));
    assertUserError(
      await taskmem(['ingest', script.path, ...flags(), '--store.path', damaged]),
      4,
      /: database disk image is malformed; \S+damaged\.sqlite is damaged or is not a taskmem store; restore it from a backup, or save what can be read with `sqlite3 \S+damaged\.sqlite \.recover \| sqlite3 recovered\.sqlite` and set store\.path to the copy$/,
      { alone: false },
    );
    const text = join(dir, 'text.sqlite');
    writeFileSync(text, 'store: not a database\n'.repeat(200));
    assertUserError(
      await taskmem(['ask', 'where is the mug?', '--store.path', text]),
      4,
      /^taskmem ask: cannot open the store \(sqlite \S+text\.sqlite\): file is not a database; \S+text\.sqlite is damaged or is not a taskmem store; restore it/,
    );
  });

  it('recording, output and configuration errors keep their own codes, whatever the store', async () => {
    const damaged = await damagedStore(join(dir, 'damaged-too.sqlite'));
    // The recording is checked before the store is opened: its problem is reported as the recording's (2).
    assertUserError(await taskmem(['ingest', join(dir, 'nope.mcap'), ...flags(), '--store.path', damaged]), 2, /nope\.mcap: no such file/);
    assertUserError(
      await taskmem([
        'remember',
        '--again',
        '--recording',
        join(dir, 'nope.mcap'),
        '--memorizer.url',
        'http://127.0.0.1:9/v1',
        '--store.path',
        damaged,
      ]),
      2,
      /^taskmem remember: \S+nope\.mcap: no such file/,
    );
    // An output that cannot be written is an output error (5), not a store error.
    assertUserError(
      await taskmem([
        'ingest',
        script.path,
        ...flags(),
        '--store.path',
        join(dir, 'out.sqlite'),
        '--memories-out',
        join(dir, 'no', 'such', 'm.mcap'),
      ]),
      5,
      /^taskmem ingest: cannot write --memories-out \S+m\.mcap: its folder does not exist; create it or choose another$/,
      { alone: false },
    );
    // A folder as the store, and a folder as the export file, are configuration and argument errors (2).
    assertUserError(
      await taskmem(['focus', 'status', '--store.path', dir]),
      2,
      /^taskmem: parameter store\.path = "\S+" is a folder; give a file in it, e\.g\. \S+\/memory\.sqlite$/,
    );
    assertUserError(
      await taskmem(['focus', 'export', '--store.path', join(dir, 'out.sqlite'), '--out', dir]),
      2,
      /^taskmem focus: --out \S+ is a folder; give a file name, e\.g\. \S+\/pairs\.jsonl$/,
    );
  });
});
