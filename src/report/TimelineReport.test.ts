import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { memoryId, type Memory } from '../memory/Memory.js';
import { secondsToNanos } from '../time.js';
import { renderTimeline } from './TimelineReport.js';

async function thumbnail(colour: string): Promise<Uint8Array> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();
}

async function memory(index: number, text: string, extra: Partial<Memory> = {}): Promise<Memory> {
  const start = secondsToNanos(1_763_700_000 + index * 10);
  return {
    id: memoryId('demo', 0, start),
    robotId: 'demo',
    episode: 0,
    segmentIndex: index,
    start,
    end: start + secondsToNanos(10),
    createdAt: start + secondsToNanos(10),
    text,
    source: 'policy',
    taskGroup: null,
    focusDepth: 0,
    quality: { format: true, hygiene: true, preference: null, descriptionTokens: 12 },
    pose: { stamp: start, frameId: 'map', x: index, y: index * 0.5, z: 0, yaw: 0 },
    model: 'policy-model',
    template: 'memorize@1',
    transcript: [],
    people: [],
    thumbnails: [await thumbnail('#c33'), await thumbnail('#33c')],
    ...extra,
  };
}

describe('timeline report', function () {
  this.timeout(60_000);
  let browser: Browser;
  let dir: string;
  before(async () => {
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
    dir = mkdtempSync(join(tmpdir(), 'taskmem-report-'));
  });
  after(async () => {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows every memory, question and evidence link, the path, and has no console errors', async () => {
    const memories = [
      await memory(0, 'A sign reading KITCHEN <b>hangs</b> over the door.', {
        source: 'perception',
        model: 'perception',
        template: 'perception@1',
        quality: { format: true, hygiene: null, preference: null, descriptionTokens: 9 },
      }),
      await memory(1, 'person_1 says the delivery arrives at noon.', {
        taskGroup: 'speech',
        focusDepth: 2,
        quality: { format: true, hygiene: true, preference: 0.75, descriptionTokens: 10 },
        transcript: ['the delivery arrives at noon'],
      }),
      await memory(2, 'The robot passes the EXIT 12 sign.', { pose: null }),
    ];
    const html = renderTimeline({
      title: 'taskmem demo',
      timeZone: 'UTC',
      memories,
      questions: [
        {
          id: 'q1',
          text: 'When does the delivery arrive?',
          askedAt: memories[2]!.end,
          group: 'speech',
          answer: { text: 'At noon.', abstained: false, confidence: 0.8, evidence: [memories[1]!.id], answeredBy: 'answer-model' },
        },
        {
          id: 'q2',
          text: 'What colour was the van?',
          askedAt: memories[2]!.end,
          group: 'colour',
          answer: { text: '', abstained: true, confidence: 0.1, evidence: [], answeredBy: 'answer-model' },
        },
      ],
    });
    const file = join(dir, 'timeline.html');
    writeFileSync(file, html);

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:') && !request.url().startsWith('data:')) problems.push(`network request to ${request.url()}`);
    });
    await page.goto(pathToFileURL(file).href);
    assert.equal(await page.locator('li.memory').count(), 3);
    assert.equal(await page.locator('li.memory img').count(), 6);
    assert.ok(
      await page
        .locator('li.memory img')
        .first()
        .evaluate(
          (img) =>
            (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (img as unknown as { naturalWidth: number }).naturalWidth === 64,
        ),
      'thumbnails decode',
    );
    assert.equal(await page.locator('li.question').count(), 2);
    assert.equal(await page.locator('li.memory.cited').count(), 1);
    assert.match(await page.locator('li.memory').first().innerText(), /KITCHEN <b>hangs<\/b>/, 'memory text is shown as text, not markup');
    assert.match(await page.locator('li.memory').nth(1).innerText(), /task: speech[\s\S]*focus depth 2[\s\S]*preference 0\.75/);
    assert.match(await page.locator('li.question').nth(1).innerText(), /abstained/);
    await page.locator('.evidence a').first().click();
    assert.equal(new URL(page.url()).hash, `#${await page.locator('li.memory.cited').getAttribute('id')}`);
    assert.equal(await page.locator('svg.path circle.pose').count(), 2, 'memories with a pose are on the path');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
