/**
 * Benchmark (a): CPU time to segment 10 s of 30 fps VGA rgb8 video with 8 keyframes, as a ratio to the floor of
 * converting just those 8 frames with sharp (target ≤ 1.5). Both are measured side by side, alternating, with
 * process.cpuUsage (all threads, so sharp's pool counts), and the medians compared. Also prints what each raw
 * encoding costs to convert and how much of it runs on the calling thread.
 */
import sharp from 'sharp';
import { Segmenter } from '../src/segment/Segmenter.js';
import { ImageConverter } from '../src/media/ImageConverter.js';
import { packPixels } from '../src/media/rawImage.js';
import { keyframeSize } from '../src/media/keyframeSize.js';
import { asUint8Array, type ImageMsg } from '../src/messages.js';
import { silentLogger } from '../src/log.js';
import { at, header, rawImage, type Paint } from '../test/support/frames.js';

const WIDTH = 640;
const HEIGHT = 480;
const FPS = 30;
const SECONDS = 10;
const KEYFRAMES = 8;
const REPETITIONS = 7;
const camera = { long_side: 448, jpeg_quality: 85 };
const segment = { duration_s: SECONDS, keyframes: KEYFRAMES, reorder_tolerance_s: 0.5, max_pending_frames: 64 };

/** A picture with detail everywhere, so that JPEG encoding costs what it costs on a real scene. */
const scene: Paint = (x, y) => [(x * 7 + y * 3) & 255, (x * y) & 255, ((x ^ y) * 5) & 255];

function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function throughSegmenter(frames: ImageMsg[]): Promise<number> {
  let keyframes = 0;
  const segmenter = new Segmenter({
    segment,
    converter: new ImageConverter(camera),
    logger: silentLogger,
    robotId: 'bench',
    onSegment: (s) => {
      keyframes += s.keyframes.length;
    },
  });
  const start = process.cpuUsage();
  for (const frame of frames) await segmenter.pushFrame(frame, 'image');
  await segmenter.flush();
  const ms = cpuMs(start);
  if (keyframes !== KEYFRAMES) throw new Error(`segment bench: expected ${KEYFRAMES} keyframes, got ${keyframes}`);
  return ms;
}

async function floor(frames: ImageMsg[]): Promise<number> {
  const chosen = Array.from({ length: KEYFRAMES }, (_, j) => frames[Math.round(((j + 0.5) * frames.length) / KEYFRAMES)]!);
  const start = process.cpuUsage();
  for (const frame of chosen) {
    await sharp(asUint8Array(frame.data), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
      .resize(448, 352, { fit: 'fill' })
      .jpeg({ quality: camera.jpeg_quality })
      .toBuffer();
  }
  return cpuMs(start);
}

async function perEncoding(): Promise<void> {
  const converter = new ImageConverter(camera);
  console.log('\nper frame converted, median of 9:');
  console.log('  frame               CPU ms, all threads   calling thread (unpacking, in slices)');
  const cases: [string, number, number][] = [
    ...['rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono16', 'yuyv', 'uyvy'].map((e): [string, number, number] => [e, WIDTH, HEIGHT]),
    ['mono16', 1920, 1080],
    ['yuyv', 1920, 1080],
  ];
  for (const [encoding, width, height] of cases) {
    const msg = rawImage({ encoding, width, height, paint: scene });
    const size = keyframeSize(width, height, camera.long_side);
    const halve = size.width * 2 <= width && size.height * 2 <= height;
    const cpu: number[] = [];
    const unpack: number[] = [];
    await converter.convert({ kind: 'image', msg });
    for (let i = 0; i < 9; i++) {
      const start = process.cpuUsage();
      await converter.convert({ kind: 'image', msg });
      cpu.push(cpuMs(start));
      const before = process.cpuUsage(); // nothing else is in flight while the pixels are unpacked
      await packPixels(msg, asUint8Array(msg.data), halve);
      unpack.push(cpuMs(before));
    }
    const name = `${encoding} ${width}×${height}`;
    const cells = [median(cpu), median(unpack)].map((v, j) => v.toFixed(2).padStart([10, 22][j]!));
    console.log(`  ${name.padEnd(18)}${cells.join('')}`);
  }
}

export default async function segmentBench(): Promise<void> {
  const picture = rawImage({ encoding: 'rgb8', width: WIDTH, height: HEIGHT, paint: scene });
  const frames = Array.from({ length: FPS * SECONDS }, (_, k) => ({ ...picture, header: header(at(k / FPS)) }));
  await throughSegmenter(frames);
  await floor(frames);
  const segmenterMs: number[] = [];
  const floorMs: number[] = [];
  for (let r = 0; r < REPETITIONS; r++) {
    if (r % 2 === 0) {
      segmenterMs.push(await throughSegmenter(frames));
      floorMs.push(await floor(frames));
    } else {
      floorMs.push(await floor(frames));
      segmenterMs.push(await throughSegmenter(frames));
    }
  }
  const s = median(segmenterMs);
  const f = median(floorMs);
  console.log(
    `10 s of ${FPS} fps ${WIDTH}×${HEIGHT} rgb8 (${FPS * SECONDS} frames) → 1 segment of ${KEYFRAMES} keyframes, CPU ms, median of ${REPETITIONS}:`,
  );
  console.log(`  through the Segmenter: ${s.toFixed(1)} ms   (runs: ${segmenterMs.map((v) => v.toFixed(1)).join(' ')})`);
  console.log(`  floor, ${KEYFRAMES} sharp conversions: ${f.toFixed(1)} ms   (runs: ${floorMs.map((v) => v.toFixed(1)).join(' ')})`);
  console.log(
    `  ratio ${(s / f).toFixed(2)} (target ≤ 1.5); per frame not chosen: ${(((s - f) / (FPS * SECONDS - KEYFRAMES)) * 1000).toFixed(1)} µs`,
  );
  await perEncoding();
}
