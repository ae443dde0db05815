import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { silentLogger } from '../../log.js';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';
import { StandInModelServer } from '../../../test/support/StandInModelServer.js';
import { demo } from './demo.js';
import { remember } from './remember.js';

describe('taskmem demo', function () {
  this.timeout(120_000);
  let dir: string;
  let browser: Browser;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-demo-'));
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  after(async () => {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('memorizes the scripted tour with the perception memorizer, answers from it, records the answers and writes a timeline that opens cleanly', async () => {
    const out = join(dir, 'taskmem-demo');
    mkdirSync(out);
    // A timeline of an earlier run is the demo's own file: replaced (a file of anyone else's is refused, test/safety).
    writeFileSync(join(out, 'timeline.html'), 'from an earlier run');
    const lines: string[] = [];
    const problems: string[] = [];
    const code = await demo(
      ['--out', out, '--robot_id', 'tourbot'],
      { out: (t) => lines.push(t), err: (t) => problems.push(t) },
      silentLogger,
    );
    const printed = lines.join('\n');
    assert.equal(code, 0, printed + problems.join('\n'));
    assert.deepEqual(problems, []);
    assert.notEqual(readFileSync(join(out, 'timeline.html'), 'utf8'), 'from an earlier run', 'the demo folder is recreated');

    assert.match(printed, /\[2\/4\] memorizing it through the ingest pipeline with embedded perception memorizer/);
    assert.match(printed, /6 memories stored, 0 failed/);
    // The kitchen question's best evidence is the memory that read the KITCHEN sign, with where the robot was.
    const kitchen = printed.split('Question: ').find((q) => q.startsWith('Where did I see the kitchen sign?'))!;
    assert.match(
      kitchen,
      /Memories:\n {2}1\. .* at \(-?\d+\.\d\d, -?\d+\.\d\d\) in map {2}\[tourbot\/0\/\d+\]\n {5}No objects or people were seen in the camera images\. Text read in the 8 camera images: "KITCHEN"/,
    );
    const lastMinute = printed.split('Question: ').find((q) => q.startsWith('Which signs did the robot pass in the last minute?'))!;
    for (const sign of ['KITCHEN', 'EXIT 12', 'LAB 3', 'CHARGING DOCK'])
      assert.ok(lastMinute.includes(`"${sign}"`), `${sign} among the last minute's evidence`);
    // The photographed visitor is recognised, the same id both times, and found by id.
    assert.match(printed, /people recognised by face: person_1 \(in [2-9] memories\)\n/);
    const visitor = printed.split('Question: ').find((q) => q.startsWith('When did I last see person_1?'))!;
    assert.match(visitor, /Memories:\n {2}1\. .*\n {5}Seen in the camera images: .*a person \(person_1\) on the right/);
    assert.match(printed, /timeline: {2}.*timeline\.html/);
    assert.match(printed, /ask --store\.path .*memory\.sqlite/);

    const store = new SqliteMemoryStore({ path: join(out, 'memory.sqlite'), thumbnails: true });
    try {
      const tasks = await store.answeredTasks({ robotId: 'tourbot' });
      assert.equal(tasks.length, 6, 'every question is logged as a task');
      assert.ok(
        tasks.every((t) => t.kind === 'ask' && t.answer !== null && t.answer.answeredBy === ''),
        'with its answer (the evidence, no model)',
      );
      const memories = (await store.recall({ robotId: 'tourbot', limit: 20 })).memories.map((s) => s.memory);
      assert.ok(
        memories.every((m) => m.source === 'perception' && m.thumbnails.length > 0),
        'perception memories with thumbnails',
      );
    } finally {
      await store.close();
    }

    const page = await browser.newPage();
    const pageProblems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:') && !request.url().startsWith('data:'))
        pageProblems.push(`network request to ${request.url()}`);
    });
    await page.goto(pathToFileURL(join(out, 'timeline.html')).href);
    assert.equal(await page.locator('li.memory').count(), 6);
    assert.match(await page.locator('li.memory').first().innerText(), /KITCHEN[\s\S]*perception/);
    assert.equal(await page.locator('li.question').count(), 6);
    assert.match(await page.locator('li.question').first().innerText(), /Where did I see the kitchen sign\?[\s\S]*evidence only/);
    assert.ok((await page.locator('li.memory.cited').count()) > 0, 'the evidence is linked');
    assert.equal(await page.locator('svg.path circle.pose').count(), 6);
    assert.ok(
      await page
        .locator('li.memory img')
        .first()
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
      'thumbnails decode',
    );
    assert.deepEqual(pageProblems, []);
    await page.close();

    // The remember command the demo suggests works as printed, with its params file.
    const suggested = /remember --again --recording (\S+) --params-file (\S+)/.exec(printed);
    assert.ok(suggested, 'the demo suggests taskmem remember --again');
    const server = await new StandInModelServer().start();
    try {
      const replies = [
        'A green kitchen with a KITCHEN sign over the door.',
        'A yellow wall and a box labelled spare batteries.',
        'A dark corridor ends at a door marked EXIT 12.',
        'Light blue lab entrance with the sign LAB 3.',
        'Plants stand by the lab window.',
        'A grey alcove holds the charging dock.',
      ];
      server.onChat = () => `{"description": "${replies.shift() ?? 'unexpected request'}"}`;
      const said: string[] = [];
      const again = await remember(
        ['--again', '--recording', join(out, 'tour.mcap'), '--params-file', join(out, 'taskmem.yaml'), '--memorizer.url', server.url],
        { out: (t) => said.push(t), err: (t) => said.push(t) },
        silentLogger,
      );
      assert.equal(again, 0, said.join('\n'));
      assert.match(said.join('\n'), /6 perception memories replaced by the policy's/);
    } finally {
      await server.stop();
    }
  });

  it('runs without espeak-ng and sox: no speech track, and a note saying so', async () => {
    // A PATH holding node alone, as on a machine without the speech tools.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const out = join(dir, 'no-speech');
    const { status, stdout, stderr } = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../main.ts', import.meta.url)), 'demo', '--out', out],
      {
        encoding: 'utf8',
        env: { ...process.env, PATH: bin },
      },
    );
    assert.equal(status, 0, stderr);
    assert.match(stdout, /note: espeak-ng and sox not installed, so the recording has no speech track/);
    assert.match(stdout, /6 memories stored, 0 failed/);
    assert.ok(existsSync(join(out, 'timeline.html')));
  });

  it('refuses an unknown option and an unreachable policy without fallback', async () => {
    const errors: string[] = [];
    const io = { out: () => {}, err: (t: string) => errors.push(t) };
    assert.equal(await demo(['--outt', join(dir, 'x')], io, silentLogger), 2);
    assert.match(errors.join('\n'), /unknown option --outt/);
    const code = await demo(
      ['--out', join(dir, 'unreachable'), '--memorizer.url', 'http://127.0.0.1:9/v1', '--memorizer.fallback', 'false'],
      io,
      silentLogger,
    );
    assert.equal(code, 3);
    assert.match(errors.join('\n'), /policy endpoint http:\/\/127\.0\.0\.1:9\/v1 is unreachable/);
  });
});
