/**
 * CPU time of the perception memorizer per 10 s segment of 8 keyframes (640×480 JPEG), as a share of the
 * segment's length: a static view (one OCR read), eight different signs with the default cap of 4 reads, and the
 * same without a cap; plus the time of one OCR read and of one object and face detection. Then the demo's scripted
 * tour (signs, a photographed visitor) memorized through the ingest pipeline twice, side by side: OCR alone
 * (perception.detect false) and with detection on at the default budget, CPU of the memorizer per segment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Assembly } from '../src/assembly/Assembly.js';
import { parseConfig, type Config } from '../src/config/schema.js';
import { demoScenes } from '../src/demo/Demo.js';
import { writeRecording } from '../src/demo/ScriptedRecording.js';
import { silentLogger } from '../src/log.js';
import type { MemorizeContext, Memorizer } from '../src/memorize/Memorizer.js';
import { PerceptionMemorizer } from '../src/memorize/PerceptionMemorizer.js';
import { SceneDetector } from '../src/media/SceneDetector.js';
import { TextReader } from '../src/media/TextReader.js';
import { ingestRecording } from '../src/ingest/RecordingIngest.js';
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
  const detector = await SceneDetector.load();
  const detect = await timed('one detection of a 640×480 keyframe of a sign (objects only: no person found)', () =>
    detector.detect(varied[0]!.jpeg),
  );
  const visitor = demoScenes().find((scene) => scene.picture)!.picture!;
  const withPerson = new Uint8Array(
    await sharp({ create: { width: 448, height: 320, channels: 3, background: '#8a7a66' } })
      .composite([{ input: await sharp(visitor.image).resize({ height: 260 }).toBuffer(), left: 40, top: 40 }])
      .jpeg()
      .toBuffer(),
  );
  const detectPerson = await timed('one detection of a 448×320 keyframe with a person (objects, face, descriptor)', () =>
    detector.detect(withPerson),
  );
  console.log(
    `ratios: detection / one OCR read = ${(detect / read).toFixed(2)} without a person, ${(detectPerson / read).toFixed(2)} with one`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'taskmem-bench-perception-'));
  try {
    const recording = join(dir, 'tour.mcap');
    const script = await writeRecording({
      path: recording,
      durationS: 60,
      fps: 4,
      camera: 'compressed',
      audio: 'none',
      scenes: demoScenes(),
    });
    const base = parseConfig({ camera: script.config.camera, pose: script.config.pose, audio: { type: 'none' } }, 'bench');
    const ocr = await tour(dir, recording, { ...base, perception: { ...base.perception, detect: false } });
    const seeing = await tour(dir, recording, base);
    const line = (label: string, cpu: number[]) =>
      console.log(
        `demo tour, ${label}: ${cpu.length} segments, CPU per 10 s segment ${mean(cpu).toFixed(2)} s on average (max ${Math.max(...cpu).toFixed(2)} s)`,
      );
    line('OCR alone (perception.detect false)', ocr);
    line(`OCR and detection (perception.budget_s ${base.perception.budget_s})`, seeing);
    console.log(`ratio: with detection / OCR alone = ${(mean(seeing) / mean(ocr)).toFixed(2)}; target ≤ 1.5 s per segment`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await reader.release();
}

/**
 * CPU seconds the perception memorizer spent on each segment of the recording, ingested into a fresh store through
 * the assembly every entry point uses (its sight, its perception memorizer, its pipeline).
 */
async function tour(dir: string, recording: string, config: Config): Promise<number[]> {
  const assembly = await Assembly.open(
    { ...config, store: { ...config.store, path: join(dir, `tour-${config.perception.detect}.sqlite`) } },
    {
      logger: silentLogger,
    },
  );
  try {
    const cpu: number[] = [];
    await ingestRecording({
      path: recording,
      config,
      store: assembly.store,
      openPipeline: async (options) => {
        const chain = await assembly.memorizer(options.now);
        const measured: Memorizer = {
          name: chain.memorizer.name,
          memorize: async (segment: Segment, context: MemorizeContext, signal?: AbortSignal) => {
            const start = process.cpuUsage();
            const outcome = await chain.memorizer.memorize(segment, context, signal);
            const used = process.cpuUsage(start);
            cpu.push((used.user + used.system) / 1e6);
            return outcome;
          },
        };
        return assembly.pipeline({ ...options, focus: null, memorizer: { ...chain, memorizer: measured } });
      },
    });
    return cpu;
  } finally {
    await assembly.close();
  }
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
