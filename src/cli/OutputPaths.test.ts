import { strict as assert } from 'node:assert';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../config/schema.js';
import { OutputPaths, writeTarget } from './OutputPaths.js';

describe('OutputPaths', () => {
  let dir: string;
  let store: string;
  let outputs: OutputPaths;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-outputs-'));
    store = join(dir, 'memory.sqlite');
    writeFileSync(store, 'the store');
    writeFileSync(join(dir, 'run.mcap'), 'the recording');
    writeFileSync(join(dir, 'taskmem.yaml'), 'store: {}');
    outputs = OutputPaths.of(configSchema.parse({ store: { path: store } }), join(dir, 'taskmem.yaml')).protect({
      path: join(dir, 'run.mcap'),
      what: 'the recording being ingested',
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses the store, its companions, the params file and the inputs, by name', () => {
    const cases: [string, RegExp][] = [
      [
        store,
        /^--out .*memory\.sqlite is the memory store \(store\.path\): writing it would destroy it; choose another file, e\.g\. x\.html$/,
      ],
      [`${store}-wal`, /is the write-ahead log of the memory store/],
      [`${store}-shm`, /is the shared-memory file of the memory store/],
      [join(dir, 'taskmem.yaml'), /is the params file \(--params-file\)/],
      [join(dir, 'sub', '..', 'run.mcap'), /is the recording being ingested: writing it would destroy it/],
    ];
    for (const [path, message] of cases) assert.throws(() => outputs.file(path, '--out', 'x.html'), { name: 'UnsafeOutputError', message });
    assert.equal(outputs.file(join(dir, 'page.html'), '--out', 'x.html'), join(dir, 'page.html'));
  });

  it('follows symbolic links, dangling ones and linked folders included, and knows hard links', () => {
    symlinkSync(store, join(dir, 'link.sqlite'));
    assert.throws(
      () => outputs.file(join(dir, 'link.sqlite'), '--out', 'x.html'),
      /is the memory store \(store\.path\) \(through a symbolic link to .*memory\.sqlite\)/,
    );
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    const inner = OutputPaths.of(configSchema.parse({ store: { path: join(dir, 'alias', 'm.sqlite') } }));
    assert.throws(
      () => inner.file(join(dir, 'real', 'm.sqlite-wal'), '--out', 'x'),
      /write-ahead log/,
      'the store named through a linked folder',
    );
    // A link to a file that does not exist yet: writing through it would create the store's WAL.
    symlinkSync(`${store}-wal`, join(dir, 'dangling'));
    assert.equal(writeTarget(join(dir, 'dangling')), `${store}-wal`);
    assert.throws(() => outputs.file(join(dir, 'dangling'), '--out', 'x.html'), /write-ahead log/);
    linkSync(join(dir, 'run.mcap'), join(dir, 'hard.mcap'));
    assert.throws(
      () => outputs.file(join(dir, 'hard.mcap'), '--memories-out', 'm.mcap'),
      /is the recording being ingested \(a hard link to it\)/,
    );
  });

  it('refuses a folder given as a file and a file given as a folder', () => {
    assert.throws(() => outputs.file(dir, '--out', 'pairs.jsonl'), {
      message: `--out ${dir} is a folder; give a file name, e.g. ${dir}/pairs.jsonl`,
    });
    assert.throws(() => outputs.folder(store, '--out'), /is a file, not a folder; give a folder$/);
    assert.throws(() => outputs.folder(dir, '--out', { writes: ['results.md', 'memory.sqlite'] }), {
      message:
        /^--out .*: its memory\.sqlite would be the memory store \(store\.path\): writing it would destroy it; choose another folder$/,
    });
  });

  it('empties only a folder that is new, empty or holds nothing but its own files, and never one holding the store', () => {
    const own = { own: /^(tour\.mcap|timeline\.html)$/ };
    assert.equal(outputs.folder(join(dir, 'new'), '--out', { replaces: own }), join(dir, 'new'));
    mkdirSync(join(dir, 'earlier'));
    writeFileSync(join(dir, 'earlier', 'timeline.html'), '');
    assert.equal(outputs.folder(join(dir, 'earlier'), '--out', { replaces: own }), join(dir, 'earlier'));
    writeFileSync(join(dir, 'earlier', 'thesis.tex'), '');
    assert.throws(
      () => outputs.folder(join(dir, 'earlier'), '--out', { replaces: own }),
      /holds files this command did not write \(thesis\.tex\)/,
    );
    assert.throws(
      () => outputs.folder(dir, '--out', { replaces: { own: /./ } }),
      /holds the memory store \(store\.path\) \(memory\.sqlite\), and the folder is emptied on every run: give a new or empty folder$/,
    );
  });
});
