import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StandInModelServer } from '../support/StandInModelServer.js';
import { writeRecording, type RecordingScript } from '../support/recording.js';
import { writeRosbag2Bag } from '../support/rosbag2Bag.js';
import { storedIds, taskmem } from '../support/taskmemProcess.js';

/** The stored memories of a SQLite store, as compared across recordings of one scene. */
function memories(store: string): Record<string, unknown>[] {
  const db = new Database(store, { readonly: true });
  try {
    return db
      .prepare('SELECT id, segment_index, start_ns, end_ns, text, source, pose_x, pose_y, transcript FROM memories ORDER BY start_ns')
      .safeIntegers(true)
      .all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe('taskmem ingest of rosbag2 SQLite bags (.db3)', function () {
  this.timeout(180_000);
  let dir: string;
  let script: RecordingScript;
  let server: StandInModelServer;
  let jazzyDir: string;
  let humbleFile: string;
  const flags = (store: string) => [
    ...['--robot_id', 'r1', '--store.path', store, '--memorizer.url', server.url, '--memorizer.retries', '0'],
    ...['--camera.topic', script.config.camera.topic, '--audio.topic', script.config.audio.topic],
    ...['--audio.info_topic', script.config.audio.info_topic, '--pose.topic', script.config.pose.topic],
  ];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-db3-'));
    script = await writeRecording({ path: join(dir, 'scene.mcap'), durationS: 30, fps: 2, width: 320 });
    jazzyDir = join(dir, 'scene_jazzy');
    await writeRosbag2Bag(script.path, jazzyDir, 'jazzy');
    humbleFile = await writeRosbag2Bag(script.path, join(dir, 'scene_humble'), 'humble');
    server = await new StandInModelServer().start();
    // The memory follows from what the model was shown: the same frames, audio and pose give the same memory.
    server.onChat = (request) => {
      const seen = createHash('sha256').update(JSON.stringify(request.messages)).digest('hex').slice(0, 12);
      return `<think>seen</think>{"description": "View ${seen}: a red toolbox and ${seen.slice(0, 4)} chairs by window ${seen.slice(4, 8)}."}`;
    };
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('memorizes a Jazzy bag directory and a Humble .db3 file to the same memories as the MCAP of the same scene', async () => {
    const stores = { mcap: join(dir, 'mcap.sqlite'), jazzy: join(dir, 'jazzy.sqlite'), humble: join(dir, 'humble.sqlite') };
    const runs = await Promise.all([
      taskmem(['ingest', script.path, ...flags(stores.mcap)]),
      taskmem(['ingest', jazzyDir, ...flags(stores.jazzy)]),
      taskmem(['ingest', humbleFile, ...flags(stores.humble)]),
    ]);
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const fromMcap = memories(stores.mcap);
    assert.equal(fromMcap.length, 3, 'three 10 s segments');
    assert.match(String(fromMcap[0]!.text), /View [0-9a-f]{12}: a red toolbox/);
    assert.deepEqual(memories(stores.jazzy), fromMcap, 'the Jazzy bag directory gives the MCAP’s memories');
    assert.deepEqual(memories(stores.humble), fromMcap, 'the Humble .db3 file gives the MCAP’s memories');
    assert.match(runs[2].stderr, /ingest scene_humble_0\.db3: 29\.\d s, topics \/camera\/image_raw/);
  });

  it('resumes a .db3 ingest killed mid-run without duplicates, and remember --again accepts the bag', async () => {
    const store = join(dir, 'resume.sqlite');
    const killed = await taskmem(['ingest', humbleFile, ...flags(store)], { stopWhen: (out) => storedIds(out).length >= 1 });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const first = storedIds(killed.stdout);
    const rerun = await taskmem(['ingest', humbleFile, ...flags(store)]);
    assert.equal(rerun.code, 0, rerun.stderr);
    // Killed right after its first memory, the run may not have recorded its progress yet: the rerun then skips
    // what is stored rather than resuming from a recorded time.
    assert.match(rerun.stderr, /resuming|[1-9] already stored/);
    for (const id of storedIds(rerun.stdout)) assert.ok(!first.includes(id), `${id} memorized once`);
    assert.equal(memories(store).length, 3);

    const again = await taskmem(['remember', '--again', '--recording', humbleFile, ...flags(store)]);
    assert.equal(again.code, 0, again.stderr);
    const unknown = await taskmem(['remember', '--again', '--recording', jazzyDir, ...flags(join(dir, 'empty.sqlite'))]);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /scene_jazzy was never ingested into this store/);
  });

  it('refuses a compressed bag and a SQLite file that is not a bag, saying why (exit 2)', async () => {
    const compressed = join(dir, 'compressed');
    mkdirSync(compressed);
    writeFileSync(
      join(compressed, 'metadata.yaml'),
      'rosbag2_bagfile_information:\n  version: 5\n  storage_identifier: sqlite3\n  relative_file_paths: [compressed_0.db3.zstd]\n' +
        '  compression_format: zstd\n  compression_mode: FILE\n',
    );
    const zstd = await taskmem(['ingest', compressed, ...flags(join(dir, 'refused.sqlite'))]);
    assert.equal(zstd.code, 2, zstd.stderr);
    assert.match(zstd.stderr, /compressed: the bag is compressed \(zstd, FILE mode\).*`ros2 bag convert`/);

    const notABag = join(dir, 'other.db3');
    new Database(notABag).exec('CREATE TABLE t (x)').close();
    const refused = await taskmem(['ingest', notABag, ...flags(join(dir, 'refused.sqlite'))]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /other\.db3: not a rosbag2 SQLite bag \(no topics or messages table\)/);
  });

  it('never writes --memories-out over a file of the bag directory being ingested (exit 2, the bag intact)', async () => {
    const bagFile = join(
      jazzyDir,
      readdirSync(jazzyDir).find((f) => f.endsWith('.db3'))!,
    );
    const before = readFileSync(bagFile);
    const run = await taskmem(['ingest', jazzyDir, '--memories-out', bagFile, ...flags(join(dir, 'guarded.sqlite'))]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--memories-out .*\.db3 is the recording being ingested/);
    assert.ok(readFileSync(bagFile).equals(before), 'the bag file is unchanged');
  });
});
