/**
 * CPU time of the perception memorizer per 10 s segment of 8 keyframes (640×480 JPEG), as a share of the
 * segment's length: a static view (one OCR read), eight different signs with the default cap of 4 reads, and the
 * same without a cap; plus the time of one OCR read.
 */
import sharp from 'sharp';
import { PerceptionMemorizer } from '../src/memorize/PerceptionMemorizer.js';
import { TextReader } from '../src/media/TextReader.js';
import type { Keyframe, Segment } from '../src/segment/Segment.js';
import { NANOS_PER_SECOND } from '../src/time.js';

const T0 = 1_795_269_600n * NANOS_PER_SECOND;
const WORDS = ['EXIT 12', 'Kitchen', 'Room 204', 'Lab B', 'Stairs', 'Office', 'Lift 3', 'Storage'];

async function view(i: number, words: string): Promise<Keyframe> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="hsl(${i * 45},30%,60%)"/>
    <rect x="140" y="130" width="360" height="140" fill="hsl(${i * 45 + 180},60%,25%)"/>
    <text x="320" y="222" font-family="DejaVu Sans" font-weight="bold" font-size="60" fill="white" text-anchor="middle">${words}</text></svg>`;
  return {
    stamp: T0 + BigInt(i) * 1_250_000_000n,
    jpeg: new Uint8Array(await sharp(Buffer.from(svg)).jpeg().toBuffer()),
    width: 640,
    height: 480,
  };
}

function segment(keyframes: Keyframe[]): Segment {
  return {
    robotId: 'bench',
    episode: 0,
    index: 0,
    start: T0,
    end: T0 + 10n * NANOS_PER_SECOND,
    keyframes,
    speech: [],
    transcript: [],
    poses: [],
    dropped: {},
  };
}

async function timed(label: string, run: () => Promise<unknown>, times = 3): Promise<number> {
  await run();
  const start = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < times; i++) await run();
  const cpu = process.cpuUsage(start);
  const ms = (cpu.user + cpu.system) / 1000 / times;
  console.log(
    `${label}: ${ms.toFixed(0)} ms CPU (${((performance.now() - wall) / times).toFixed(0)} ms wall) = ${(ms / 100).toFixed(1)} % of a 10 s segment`,
  );
  return ms;
}

export default async function (): Promise<void> {
  const reader = await TextReader.load();
  const one = await view(0, WORDS[0]!);
  const varied = await Promise.all(WORDS.map((w, i) => view(i, w)));
  const still = Array.from({ length: 8 }, (_, i) => ({ ...one, stamp: T0 + BigInt(i) * 1_250_000_000n }));
  const context = { window: [], focus: null };
  const capped = new PerceptionMemorizer({ reader, now: () => T0 });
  const uncapped = new PerceptionMemorizer({ reader, now: () => T0, maxReadFrames: 8 });
  const read = await timed('one OCR read of a 640×480 keyframe', () => reader.read(one.jpeg));
  await timed('static view, 8 keyframes', () => capped.memorize(segment(still), context));
  const cap = await timed('8 different signs, default cap of 4 reads', () => capped.memorize(segment(varied), context));
  const all = await timed('8 different signs, all read', () => uncapped.memorize(segment(varied), context));
  console.log(`ratios: capped / one read = ${(cap / read).toFixed(2)}, all / one read = ${(all / read).toFixed(2)}`);
  await reader.release();
}
