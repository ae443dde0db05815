import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demo } from '../../src/cli/commands/demo.js';
import { report } from '../../src/cli/commands/report.js';
import { sampleMemory } from '../../src/memory/MemoryStore.contract.test.js';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import { writeRecording, type RecordingScript } from '../support/recording.js';
import { taskmem } from '../support/taskmemProcess.js';

async function capture(command: typeof report, args: string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const code = await command(args, { out: () => {}, err: (text) => err.push(text) });
  return { code, stderr: err.join('\n') };
}

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every command that writes a file or folder, asked to write over its store or an input, as a careless user would. */
describe('output paths that would destroy the store or an input (every writer)', function () {
  this.timeout(120_000);
  let dir: string;
  let store: string;
  let script: RecordingScript;
  let untouched: { store: string; recording: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-outputs-cli-'));
    store = join(dir, 'memory.sqlite');
    const opened = new SqliteMemoryStore({ path: store });
    await opened.put(sampleMemory({ text: 'The red mug is on the kitchen counter.' }));
    await opened.close();
    script = await writeRecording({ path: join(dir, 'run.mcap'), durationS: 4, fps: 1, audio: 'none' });
    symlinkSync(store, join(dir, 'store-link'));
    symlinkSync(script.path, join(dir, 'recording-link.mcap'));
    linkSync(store, join(dir, 'store-hard-link'));
    untouched = { store: digest(store), recording: digest(script.path) };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(() => {
    assert.equal(digest(store), untouched.store, 'the store is untouched');
    assert.equal(digest(script.path), untouched.recording, 'the recording is untouched');
  });

  /** In a child process, or in this one through the command's function when it takes its output (faster). */
  const refused = async (args: string[], message: RegExp) => {
    const inProcess = { report, demo }[args[0] as 'report' | 'demo'];
    const run = inProcess ? await capture(inProcess, args.slice(1)) : await taskmem(args);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr.trim(), message);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
  };

  it('taskmem report --out the store, directly or through a symbolic link', async () => {
    await refused(
      ['report', '--store.path', store, '--out', store],
      /^taskmem report: --out \S+memory\.sqlite is the memory store \(store\.path\): writing it would destroy it; choose another file, e\.g\. timeline\.html$/,
    );
    await refused(['report', '--store.path', store, '--out', join(dir, 'store-link')], /through a symbolic link to \S+memory\.sqlite/);
    await refused(['report', '--store.path', store, '--out', `${store}-wal`], /is the write-ahead log of the memory store/);
  });

  it('taskmem focus export --out the store by a hard link, or a folder', async () => {
    await refused(
      ['focus', 'export', '--store.path', store, '--out', join(dir, 'store-hard-link')],
      /is the memory store \(store\.path\) \(a hard link to it\)/,
    );
    await refused(
      ['focus', 'export', '--store.path', store, '--out', dir],
      /^taskmem focus: --out \S+ is a folder; give a file name, e\.g\. \S+\/pairs\.jsonl$/,
    );
    assert.ok(!existsSync(join(dir, 'images')), 'nothing was written');
  });

  it('taskmem ingest --memories-out the recording (through a link) or the store', async () => {
    const flags = ['--camera.topic', script.config.camera.topic, '--audio.type', 'none', '--pose.topic', '', '--store.path', store];
    await refused(
      ['ingest', script.path, ...flags, '--memories-out', join(dir, 'recording-link.mcap')],
      /^taskmem ingest: --memories-out \S+ is the recording being ingested \(through a symbolic link to \S+run\.mcap\): writing it would destroy it; choose another file, e\.g\. memories\.mcap$/,
    );
    await refused(['ingest', script.path, ...flags, '--memories-out', store], /is the memory store \(store\.path\)/);
  });

  it('taskmem demo --out a folder holding other files or the store', async () => {
    const work = join(dir, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'notes.txt'), 'keep me');
    await refused(
      ['demo', '--out', work],
      /^taskmem demo: --out \S+work holds files this command did not write \(notes\.txt\), and the folder is emptied on every run: give a new or empty folder$/,
    );
    assert.equal(readFileSync(join(work, 'notes.txt'), 'utf8'), 'keep me');
    await refused(['demo', '--out', dir, '--store.path', store], /holds the memory store \(store\.path\) \(memory\.sqlite\)/);
  });

  it('taskmem bench --out a folder whose results would replace the question file', async () => {
    const run = join(dir, 'bench-run');
    mkdirSync(run);
    writeFileSync(join(run, 'results.jsonl'), '{"question": "kept"}\n');
    await refused(
      ['bench', 'jsonl', '--protocol', 'robot', '--videos', dir, '--qa', join(run, 'results.jsonl'), '--out', run],
      /^taskmem bench: --out \S+bench-run: its results\.jsonl would be the question file \(--qa\): writing it would destroy it; choose another folder$/,
    );
    assert.equal(readFileSync(join(run, 'results.jsonl'), 'utf8'), '{"question": "kept"}\n');
  });

  it('store.path empty or :memory: (a store that saves nothing) is refused by the schema', async () => {
    for (const path of ['', ':memory:']) {
      const run = await taskmem(['ingest', script.path, '--store.path', path]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /parameter store\.path = .* is invalid: (is empty|would keep the memories in memory only)/);
    }
  });
});
