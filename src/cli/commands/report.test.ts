import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryId, type Memory } from '../../memory/Memory.js';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';
import { secondsToNanos } from '../../time.js';
import { report } from './report.js';

const T0 = 1_763_700_000;

function memory(robotId: string, index: number, text: string): Memory {
  const start = secondsToNanos(T0 + index * 10);
  return {
    id: memoryId(robotId, 0, start),
    robotId,
    episode: 0,
    segmentIndex: index,
    start,
    end: start + secondsToNanos(10),
    createdAt: start + secondsToNanos(10),
    text,
    source: 'policy',
    taskGroup: null,
    focusDepth: 0,
    quality: { format: true, hygiene: true, preference: null, descriptionTokens: 8 },
    pose: null,
    model: 'policy-model',
    template: 'memorize@1',
    transcript: [],
    people: [],
    thumbnails: [],
  };
}

describe('taskmem report', function () {
  this.timeout(20_000);
  let dir: string;
  let storePath: string;
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await report(['--store.path', storePath, ...args], { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-report-cmd-'));
    storePath = join(dir, 'memory.sqlite');
    const store = new SqliteMemoryStore({ path: storePath });
    await store.put(memory('r1', 0, 'A sign reading KITCHEN above the door.'));
    await store.put(memory('r1', 1, 'A box labelled SPARE BATTERIES on the shelf.'));
    await store.put(memory('r1', 6, 'The robot docks at the CHARGING DOCK.'));
    await store.put(memory('r2', 0, 'Another robot sees the EXIT 12 sign.'));
    await store.logTask({
      id: 'q1',
      robotId: 'r1',
      stamp: secondsToNanos(T0 + 30),
      text: 'Where is the kitchen?',
      group: 'navigation',
      kind: 'ask',
    });
    await store.recordAnswer('q1', {
      text: 'Behind the door with the KITCHEN sign.',
      abstained: false,
      confidence: 0.8,
      evidence: [memoryId('r1', 0, secondsToNanos(T0))],
      answeredBy: 'answer-model',
    });
    await store.logTask({ id: 'q2', robotId: 'r1', stamp: secondsToNanos(T0 + 31), text: 'Who rang?', group: 'visitors', kind: 'ask' });
    await store.logTask({
      id: 'd1',
      robotId: 'r1',
      stamp: secondsToNanos(T0 + 32),
      text: 'watch the door',
      group: 'visitors',
      kind: 'directive',
    });
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes one robot's memories and questions with their answers and evidence links", async () => {
    const page = join(dir, 'r1.html');
    const { code, out, err } = await run('--robot', 'r1', '--out', page);
    assert.equal(code, 0, err);
    assert.match(out, new RegExp(`timeline written to ${page.replace(/[.]/g, '\\.')} \\(3 memories, 2 questions\\)`));
    const html = readFileSync(page, 'utf8');
    assert.equal(html.match(/<li class="memory/g)?.length, 3);
    assert.ok(
      html.indexOf('KITCHEN above') < html.indexOf('SPARE BATTERIES') && html.indexOf('SPARE BATTERIES') < html.indexOf('CHARGING DOCK'),
      'oldest first',
    );
    assert.ok(!html.includes('EXIT 12'), 'the other robot is left out');
    assert.match(html, /Behind the door with the KITCHEN sign\.[\s\S]*href="#m-r1_0_/);
    assert.match(html, /Who rang\?[\s\S]*no answer recorded/);
    assert.ok(!html.includes('watch the door'), 'directives are not questions');
  });

  it('narrows to a time range: memories that overlap it, questions asked in it', async () => {
    const page = join(dir, 'range.html');
    const { code, out } = await run('--since', String(secondsToNanos(T0 + 5)), '--until', String(secondsToNanos(T0 + 25)), '--out', page);
    assert.equal(code, 0);
    assert.match(out, /\(3 memories, 0 questions\)/);
    const html = readFileSync(page, 'utf8');
    assert.ok(html.includes('SPARE BATTERIES') && html.includes('EXIT 12') && !html.includes('CHARGING DOCK'));
  });

  it('says clearly what is wrong: no store, a bad option or time, an unwritable page', async () => {
    const missing = await report(['--store.path', join(dir, 'none.sqlite')], {
      out: () => {},
      err: (t) => assert.match(t, /no memory store at .*none\.sqlite \(store\.path\); memorize something first/),
    });
    assert.equal(missing, 4);
    assert.ok(!existsSync(join(dir, 'none.sqlite')), 'no empty store is created');
    const bad = await run('--robt', 'r1');
    assert.deepEqual([bad.code, /unknown option --robt/.test(bad.err)], [2, true]);
    const time = await run('--since', 'the day the music died');
    assert.equal(time.code, 2, time.err);
    assert.match(time.err, /taskmem report: .*the day the music died/);
    const unwritable = await run('--out', join(dir, 'no-such-folder', 'page.html'));
    assert.equal(unwritable.code, 5);
    assert.match(unwritable.err, /cannot write .*page\.html/);
  });
});
