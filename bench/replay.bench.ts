/**
 * Benchmark (b): replay speed of a rosbag2 MCAP recording through the full memory pipeline — MCAP read and CDR
 * decoding, Segmenter with keyframe conversion (sharp), audio decoding and Silero VAD, pose, a real SQLite store
 * — as a multiple of real time (target ≥ 20× for VGA 30 fps). The memorizer is an in-process standInPolicy-in that
 * returns a memory at once, so the figure is the pipeline's own speed, not a model's. Printed beside it, from the
 * same run: reading and decoding the file alone (the floor), the pipeline without audio and with JPEG input, and
 * both again on a copy of the rgb8 recording with zstd-compressed chunks (what rosbag2's storage presets write).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '../src/config/schema.js';
import { McapRecording } from '../src/bag/McapRecording.js';
import { matchSensorTopics, recordedSensorMessages } from '../src/bag/RecordingSensors.js';
import { Assembly } from '../src/assembly/Assembly.js';
import type { MemorizerChain } from '../src/assembly/memorizerChain.js';
import { ingestRecording } from '../src/ingest/RecordingIngest.js';
import { silentLogger } from '../src/log.js';
import { chunkDecompressionReady, decompressChunk } from '../src/bag/ChunkDecompression.js';
import zstd from '@foxglove/wasm-zstd';
import { writeCompressedCopy, writeRecording, type RecordingScript } from '../test/support/recording.js';
import { instantMemorizer } from '../test/support/instantMemorizer.js';

const SECONDS = 20;
const FPS = 30;

/** Returns a one-sentence memory at once: stands in for the policy so that only the pipeline is timed. */
const standInPolicy = instantMemorizer((segment) => `${segment.keyframes.length} keyframes, ${segment.speech.length} speech spans.`);

interface Measured {
  speed: number;
  cpuPerSecond: number;
  memories: number;
}

function config(script: RecordingScript, overrides: Record<string, unknown> = {}): Config {
  return configSchema.parse({ robot_id: 'bench', ...script.config, ...overrides });
}

async function timed(work: () => Promise<number>, recordingSeconds: number): Promise<Measured> {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const memories = await work();
  const wallS = Number(process.hrtime.bigint() - wall) / 1e9;
  const used = process.cpuUsage(cpu);
  return { speed: recordingSeconds / wallS, cpuPerSecond: (used.user + used.system) / 1000 / recordingSeconds, memories };
}

async function readOnly(script: RecordingScript): Promise<number> {
  const recording = await McapRecording.open(script.path);
  try {
    let n = 0;
    for await (const _ of recordedSensorMessages(recording, matchSensorTopics(recording, config(script)))) n++;
    return n;
  } finally {
    await recording.close();
  }
}

/**
 * zstd decompression of a camera-like 4 MB chunk written at compression `level`: the scripted frames are flat
 * colours that compress several hundred times, real frames carry sensor noise and compress little, which costs
 * more to undo per output byte.
 */
async function noisyZstd(level: number): Promise<{ ratio: number; cpuMsPerMB: number }> {
  await chunkDecompressionReady;
  const chunk = new Uint8Array(4 * 640 * 480 * 3);
  let seed = 1;
  for (let i = 0; i < chunk.length; i++) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    // Smooth shading plus 2 bits of sensor noise.
    const pixel = Math.floor(i / 3);
    const [x, y] = [pixel % 640, Math.floor(pixel / 640) % 480];
    chunk[i] = 128 + Math.round(60 * Math.sin(x / 50 + (i % 3)) * Math.cos(y / 40)) + (seed >>> 30);
  }
  const compressed = zstd.compress(chunk, level);
  decompressChunk('zstd', compressed, BigInt(chunk.length)); // warm-up: grows the WebAssembly heap
  const cpu = process.cpuUsage();
  const rounds = 20;
  for (let i = 0; i < rounds; i++) decompressChunk('zstd', compressed, BigInt(chunk.length));
  const used = process.cpuUsage(cpu);
  return { ratio: chunk.length / compressed.length, cpuMsPerMB: (used.user + used.system) / 1000 / ((rounds * chunk.length) / 1e6) };
}

async function pipeline(dir: string, script: RecordingScript, cfg: Config): Promise<number> {
  const path = join(dir, `bench-${process.hrtime.bigint()}.sqlite`);
  const assembly = await Assembly.open({ ...cfg, store: { ...cfg.store, path } }, { logger: silentLogger });
  const memorizer: MemorizerChain = {
    memorizer: standInPolicy,
    fallback: null,
    focused: null,
    focusCost: null,
    description: standInPolicy.name,
  };
  try {
    const result = await ingestRecording({
      path: script.path,
      config: cfg,
      store: assembly.store,
      openPipeline: (options) => assembly.pipeline({ ...options, focus: null, memorizer }),
    });
    return result.stored;
  } finally {
    await assembly.close();
  }
}

export default async function replayBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'taskmem-replay-bench-'));
  try {
    const raw = await writeRecording({ path: join(dir, 'vga-rgb8.mcap'), durationS: SECONDS, fps: FPS, camera: 'image' });
    const jpeg = await writeRecording({ path: join(dir, 'vga-jpeg.mcap'), durationS: SECONDS, fps: FPS, camera: 'compressed' });
    const rawZstd: RecordingScript = { ...raw, path: join(dir, 'vga-rgb8-zstd.mcap') };
    await writeCompressedCopy(raw.path, rawZstd.path, 'zstd');
    const mb = (s: RecordingScript) => (statSync(s.path).size / 1e6).toFixed(0);
    console.log(
      `recordings: ${SECONDS} s of ${FPS} fps VGA, 16 kHz S16LE audio with speech, 10 Hz poses — rgb8 ${mb(raw)} MB ` +
        `(${mb(rawZstd)} MB with zstd chunks), JPEG ${mb(jpeg)} MB`,
    );
    console.log(`memorizer: ${standInPolicy.name} (in-process, returns at once); store: SQLite file; ${SECONDS / 10} segments per run`);

    const rows: [string, Measured][] = [];
    const measure = async (name: string, work: () => Promise<number>) => rows.push([name, await timed(work, SECONDS)]);
    await pipeline(dir, raw, config(raw)); // warm-up: VAD model, sharp, JIT
    await measure('read + decode MCAP only (floor)', () => readOnly(raw));
    await measure('full pipeline, rgb8 + audio + pose', () => pipeline(dir, raw, config(raw)));
    await measure('full pipeline, rgb8, no audio', () => pipeline(dir, raw, config(raw, { audio: { type: 'none' } })));
    await measure('full pipeline, JPEG + audio + pose', () => pipeline(dir, jpeg, config(jpeg)));
    await measure('read + decode MCAP only, zstd chunks (floor)', () => readOnly(rawZstd));
    await measure('full pipeline, rgb8 + audio + pose, zstd chunks', () => pipeline(dir, rawZstd, config(rawZstd)));

    // Wall-clock speed depends on what else the machine runs; CPU time per second of recording does not, and
    // 1000 / it is the speed one otherwise idle core would give.
    console.log(`\nmachine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} during the run`);
    console.log('| run | × real time (wall) | CPU ms per s of recording | × real time on one idle core | memories |');
    console.log('|---|---|---|---|---|');
    for (const [name, m] of rows) {
      console.log(
        `| ${name} | ${m.speed.toFixed(1)}× | ${m.cpuPerSecond.toFixed(0)} | ${(1000 / m.cpuPerSecond).toFixed(0)}× | ${name.includes('floor') ? '—' : m.memories} |`,
      );
    }
    const full = rows[1]![1];
    const ceiling = 1000 / full.cpuPerSecond;
    console.log(
      `\nVGA 30 fps rgb8 replay: ${full.speed.toFixed(1)}× real time measured, ${ceiling.toFixed(0)}× CPU-bound on one idle core ` +
        `(target ≥ 20×: ${full.speed >= 20 ? 'met' : ceiling >= 20 ? 'met in CPU, not in wall time on this loaded machine' : 'NOT met'}); ` +
        `reading the file alone: ${rows[0]![1].speed.toFixed(1)}×`,
    );
    const [floor, zstdFloor, zstdFull] = [rows[0]![1], rows[4]![1], rows[5]![1]];
    console.log(
      `zstd chunks cost ${(zstdFloor.cpuPerSecond - floor.cpuPerSecond).toFixed(0)} CPU ms per s of recording to read ` +
        `(${(zstdFloor.cpuPerSecond / floor.cpuPerSecond).toFixed(2)}× the uncompressed floor; full pipeline ${(zstdFull.cpuPerSecond / full.cpuPerSecond).toFixed(2)}×)`,
    );
    const rgb8PerSecond = (640 * 480 * 3 * FPS) / 1e6;
    for (const level of [-5, 3]) {
      const noisy = await noisyZstd(level);
      console.log(
        `zstd level ${level} on noisy camera-like rgb8 (compresses ${noisy.ratio.toFixed(2)}×): ${noisy.cpuMsPerMB.toFixed(2)} CPU ms per MB ` +
          `decompressed, ${(noisy.cpuMsPerMB * rgb8PerSecond).toFixed(0)} CPU ms per s of ${FPS} fps VGA rgb8`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
