/**
 * Benchmark: what embedding every memory on the write path costs an ingest. The same recording is ingested
 * side by side through the assembly's pipeline into a fresh SQLite file: without an embedding source, with the
 * loopback standInPolicy-in's embeddings endpoint answering at once (HTTP, JSON and the vector's insert: the write path's
 * own cost), answering after 25 ms (a model's time, of the order a small embedding model on a GPU box takes), and
 * unreachable (memories stored without vectors). The memorizer is an in-process standInPolicy-in that returns a memory at
 * once, so the difference between rows is the embedding's alone. Below: put() with and without a 384-d vector in
 * one transaction, on the store alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Assembly } from '../src/assembly/Assembly.js';
import type { MemorizerChain } from '../src/assembly/memorizerChain.js';
import { configSchema, type Config } from '../src/config/schema.js';
import { ingestRecording } from '../src/ingest/RecordingIngest.js';
import { silentLogger } from '../src/log.js';
import { sampleMemory, T0 } from '../src/memory/MemoryStore.contract.test.js';
import { SqliteMemoryStore } from '../src/memory/SqliteMemoryStore.js';
import { CONCEPT_DIMS, conceptEmbeddings } from '../test/support/conceptEmbeddings.js';
import { writeRecording, type RecordingScript } from '../test/support/recording.js';
import { StandInModelServer } from '../test/support/StandInModelServer.js';
import { instantMemorizer } from '../test/support/instantMemorizer.js';

const SECONDS = 300;
const ROUNDS = 3;
const WORDS = ['kitchen', 'mug', 'sofa', 'keys', 'window', 'plant', 'wallet', 'chair', 'phone', 'bin'];

/** Returns a memory at once, with words the standInPolicy-in embeds: only the pipeline and the embedding are timed. */
const standInPolicy = instantMemorizer(
  (segment) =>
    `Segment ${segment.index}: the ${WORDS[segment.index % WORDS.length]} by the ${WORDS[(segment.index * 3 + 1) % WORDS.length]}.`,
);

interface Row {
  name: string;
  wallS: number;
  cpuMs: number;
  stored: number;
  embedded: number;
}

async function ingest(dir: string, script: RecordingScript, name: string, embedding: Partial<Config['embedding']>): Promise<Row> {
  const config = configSchema.parse({
    robot_id: 'bench',
    ...script.config,
    audio: { type: 'none' },
    store: { path: join(dir, `${process.hrtime.bigint()}.sqlite`) },
    embedding: { model: 'concepts-v1', ...embedding },
  });
  const assembly = await Assembly.open(config, { logger: silentLogger });
  const memorizer: MemorizerChain = { memorizer: standInPolicy, fallback: null, focused: null, focusCost: null, description: 'instant' };
  try {
    const wall = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const result = await ingestRecording({
      path: script.path,
      config,
      store: assembly.store,
      openPipeline: (options) => assembly.pipeline({ ...options, focus: null, memorizer }),
    });
    const used = process.cpuUsage(cpu);
    return {
      name,
      wallS: Number(process.hrtime.bigint() - wall) / 1e9,
      cpuMs: (used.user + used.system) / 1000,
      stored: result.stored,
      embedded: result.embedding?.embedded ?? 0,
    };
  } finally {
    await assembly.close();
  }
}

/** The run of median wall time. */
function median(rows: Row[]): Row {
  return [...rows].sort((a, b) => a.wallS - b.wallS)[Math.floor(rows.length / 2)]!;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Milliseconds per put() of `n` memories, each alone in its transaction, with a 384-d vector or without. */
async function putCost(dir: string, n: number, withVector: boolean): Promise<number> {
  const store = new SqliteMemoryStore({ path: join(dir, `put-${withVector}-${process.hrtime.bigint()}.sqlite`) });
  try {
    const vector = Float32Array.from({ length: 384 }, (_, i) => Math.sin(i));
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const start = T0 + BigInt(i) * 10_000_000_000n;
      const memory = sampleMemory({ start, text: `memory ${i} of the bench` });
      await store.put(memory, withVector ? { model: 'bench-384', vector } : null);
    }
    return Number(process.hrtime.bigint() - started) / 1e6 / n;
  } finally {
    await store.close();
  }
}

export default async function embeddingBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'taskmem-embedding-bench-'));
  const server = await new StandInModelServer().start();
  let delayMs = 0;
  server.onEmbeddings = async (request) => {
    if (delayMs > 0) await sleep(delayMs);
    return conceptEmbeddings(request);
  };
  try {
    const script = await writeRecording({
      path: join(dir, 'run.mcap'),
      durationS: SECONDS,
      fps: 1,
      width: 320,
      height: 240,
      camera: 'compressed',
      audio: 'none',
    });
    const segments = SECONDS / 10;
    console.log(
      `recording: ${SECONDS} s, 1 fps 320×240 JPEG, poses; ${segments} segments; memorizer: ${standInPolicy.name} (in-process); ` +
        `embeddings: the standInPolicy-in over loopback HTTP (${CONCEPT_DIMS}-d); store: a fresh SQLite file per run`,
    );
    await ingest(dir, script, 'warm-up', {}); // JIT, sharp
    const unreachable = `http://127.0.0.1:${await closedPort()}/v1`;
    const runs: [string, number, Partial<Config['embedding']>][] = [
      ['no embedding source', 0, {}],
      ['embedding endpoint answering at once', 0, { url: server.url }],
      ['embedding endpoint answering in 25 ms', 25, { url: server.url }],
      ['embedding endpoint unreachable', 0, { url: unreachable }],
    ];
    // Rounds interleave the runs, so that a change in the machine's load falls on each alike; the median is shown.
    const measured = new Map<string, Row[]>(runs.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, delay, embedding] of runs) {
        delayMs = delay;
        measured.get(name)!.push(await ingest(dir, script, name, embedding));
      }
    }
    const rows = runs.map(([name]) => median(measured.get(name)!));

    console.log(`\nmachine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} during the run`);
    console.log(`median of ${ROUNDS} interleaved rounds`);
    console.log('| run | wall s | wall ms per memory | CPU ms per memory | memories | with vector |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${r.wallS.toFixed(2)} | ${((r.wallS * 1000) / r.stored).toFixed(1)} | ${(r.cpuMs / r.stored).toFixed(1)} | ${r.stored} | ${r.embedded} |`,
      );
    }
    const [plain, instant, slow] = rows as [Row, Row, Row];
    const perMemory = (r: Row) => (r.wallS * 1000) / r.stored;
    console.log(
      `\nwrite-path embedding adds ${(perMemory(instant) - perMemory(plain)).toFixed(1)} ms of wall time per memory against an endpoint that ` +
        `answers at once (${(perMemory(slow) - perMemory(plain)).toFixed(1)} ms at 25 ms per request); a live stream writes one memory per 10 s segment`,
    );

    const n = 1000;
    const [bare, vectored] = [await putCost(dir, n, false), await putCost(dir, n, true)];
    console.log(
      `store alone, ${n} put() each in its own transaction: ${bare.toFixed(3)} ms without a vector, ${vectored.toFixed(3)} ms with a 384-d vector ` +
        `(${(vectored / bare).toFixed(2)}×)`,
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
