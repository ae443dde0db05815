/**
 * A fleet's memory on one database (`npm run bench -- fleet`): 8 robots writing at once, then questions across the
 * fleet, side by side on the same generated data in SQLite (one file), the Debian PostgreSQL 15 server (no
 * pgvector: vectors as bytea searched in memory, as SQLite does) and PGlite with pgvector (PostgreSQL 18 in
 * WebAssembly, an HNSW index per embedding model). At each size: the insert rate of one-transaction puts from 8
 * concurrent writers, full-text and hybrid p95, 1-hour and 1-day windows across the fleet, and vector recall@10
 * against exact cosine over every vector (a memory found counts when it is at least as near as the exact 10th:
 * memories of the same words share a vector, and exact search lists only some of a tie).
 *
 * TASKMEM_BENCH_FLEET_SIZES (default 100000,1000000) sets the sizes; TASKMEM_BENCH_PGLITE_MAX (default 100000) the
 * largest PGlite is loaded to: PGlite runs one session on one core, and each memory's HNSW insert costs it about
 * 15 ms, so 10^6 would take over four hours of loading alone (the bench prints the rate it measured).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosineSimilarity } from '../src/memory/embedding.js';
import type { Memory } from '../src/memory/Memory.js';
import type { MemoryEmbedding, RecallQuery } from '../src/memory/MemoryRecords.js';
import { PostgresMemoryStore } from '../src/memory/PostgresMemoryStore.js';
import { SqliteMemoryStore } from '../src/memory/SqliteMemoryStore.js';
import { startPglite, startPostgres, type TestPostgres } from '../test/support/postgres.js';
import { DIMS, latency, memoryAt, MODEL, percentiles, SEGMENT, T0, topIndices, Vocabulary } from './sceneCorpus.js';

const ROBOTS = 8;
const SIZES = (process.env.TASKMEM_BENCH_FLEET_SIZES ?? '100000,1000000').split(',').map(Number);
const PGLITE_MAX = Number(process.env.TASKMEM_BENCH_PGLITE_MAX ?? 100_000);
/** One-transaction puts timed at each size, spread over the 8 writers. */
const PUTS = 4_000;
const QUERIES = 200;
const WINDOWED = 40;
const RECALL_QUERIES = 40;
/** Memories per putMany while loading up to a size. */
const BATCH = 1_000;

/** A store under test and how its 8 robots reach it. */
interface Backend {
  name: string;
  /** The store each writer puts through: its own connection where the backend has sessions to spare. */
  writers: {
    putMany(entries: { memory: Memory; embedding: MemoryEmbedding }[]): Promise<number>;
    put(m: Memory, e: MemoryEmbedding): Promise<boolean>;
  }[];
  reader: SqliteMemoryStore | PostgresMemoryStore;
  /** Memories stored so far. */
  size: number;
  close(): Promise<void>;
}

interface Row {
  inserts: string;
  text: string;
  hybrid: string;
  hour: string;
  day: string;
  recall: string;
}

export default async function fleetBench(): Promise<void> {
  const tooSmall = SIZES.filter((size) => !Number.isInteger(size) || size <= PUTS);
  if (tooSmall.length > 0) {
    throw new Error(
      `TASKMEM_BENCH_FLEET_SIZES: each size must be a whole number above ${PUTS} (the timed puts), not ${tooSmall.join(', ')}`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'taskmem-fleet-bench-'));
  const words = new Vocabulary(20260505);
  const largest = Math.max(...SIZES);
  const texts: string[] = [];
  const vectors = new Float32Array(largest * DIMS);
  const entry = (i: number) => {
    while (texts.length <= i) {
      const text = words.memoryText();
      words.embed(text, vectors.subarray(texts.length * DIMS, (texts.length + 1) * DIMS));
      texts.push(text);
    }
    return { memory: memoryAt(i, texts[i]!, ROBOTS), embedding: { model: MODEL, vector: vectors.subarray(i * DIMS, (i + 1) * DIMS) } };
  };
  const servers: TestPostgres[] = [];
  const backends: Backend[] = [];
  try {
    const postgres = await startPostgres({ durable: true });
    servers.push(postgres);
    backends.push(await sqliteBackend(join(dir, 'fleet.sqlite')), await postgresBackend('PostgreSQL 15', postgres.url, ROBOTS));
    let pglite: Backend | null = null;
    if (SIZES.some((size) => size <= PGLITE_MAX)) {
      const server = await startPglite();
      servers.push(server);
      // One session serves every connection (its socket multiplexes them): transactions must not interleave.
      pglite = await postgresBackend('PGlite+pgvector', server.url, 1);
      backends.push(pglite);
    }
    console.log(
      `fleet: ${ROBOTS} robots, one memory each per 10 s; ${DIMS}-d vectors on every memory; SQLite file in ${dir}; ` +
        `PostgreSQL 15 with fsync on; PGlite ${pglite ? 'in memory' : 'not run'}`,
    );
    for (const size of SIZES) {
      const rows = new Map<string, Row>();
      const asOf = T0 + (BigInt(Math.ceil(size / ROBOTS)) + 1n) * SEGMENT;
      const questions = Array.from({ length: QUERIES }, () => words.question());
      const windows = (seconds: bigint) =>
        Array.from({ length: WINDOWED }, () => {
          const until = T0 + BigInt(words.int(Math.floor(size / ROBOTS))) * SEGMENT;
          return { text: words.question(), since: until - seconds * 1_000_000_000n, until };
        });
      const hours = windows(3_600n);
      const days = windows(86_400n);
      const recallQueries = Array.from({ length: RECALL_QUERIES }, () => embedded(words, words.question()));
      entry(size - 1); // every memory's vector generated, for the exact neighbours
      const exact = exactNeighbours(recallQueries, vectors, size);
      for (const backend of backends) {
        if (backend === pglite && size > PGLITE_MAX) continue;
        rows.set(backend.name, await measure(backend, size, entry, { asOf, questions, hours, days, recallQueries, exact, words }));
        if (backend === pglite && !SIZES.some((s) => s > size && s <= PGLITE_MAX)) {
          await backend.close();
          backends.splice(backends.indexOf(backend), 1);
          pglite = null;
        }
      }
      console.log(`\n${size.toLocaleString('en')} memories (${(size / ROBOTS / 8_640).toFixed(1)} days of ${ROBOTS} robots)`);
      console.log(
        'store            insert/s, 8 writers   full-text p50/p95/CPU     hybrid p50/p95/CPU        1 hour (hybrid) p95/CPU   1 day (hybrid) p95/CPU    recall@10',
      );
      for (const [name, row] of rows) {
        console.log(
          `${name.padEnd(16)} ${row.inserts.padEnd(21)} ${row.text.padEnd(25)} ${row.hybrid.padEnd(25)} ${row.hour.padEnd(25)} ${row.day.padEnd(25)} ${row.recall}`,
        );
      }
      if (size > PGLITE_MAX && rows.size < 3) console.log(`(PGlite not loaded to ${size}: above TASKMEM_BENCH_PGLITE_MAX=${PGLITE_MAX})`);
      const sqlite = rows.get('SQLite');
      for (const [name, row] of rows) {
        if (name === 'SQLite' || !sqlite) continue;
        console.log(`${name}: hybrid p95 ${ratio(row.hybrid, sqlite.hybrid)} of SQLite's, full-text p95 ${ratio(row.text, sqlite.text)}`);
      }
    }
    console.log('targets: hybrid p95 within 2× of SQLite at 10^6; recall@10 ≥ 0.95');
  } finally {
    for (const backend of backends) await backend.close();
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Questions {
  asOf: bigint;
  questions: string[];
  hours: { text: string; since: bigint; until: bigint }[];
  days: { text: string; since: bigint; until: bigint }[];
  recallQueries: Float32Array[];
  exact: number[][];
  words: Vocabulary;
}

/** Loads the backend up to `size` (the last PUTS as timed one-transaction puts from 8 writers), then asks. */
async function measure(
  backend: Backend,
  size: number,
  entry: Entry,
  { asOf, questions, hours, days, recallQueries, exact, words }: Questions,
): Promise<Row> {
  const loaded = performance.now();
  const from = backend.size;
  await load(backend, size - PUTS, entry);
  const bulk = (size - PUTS - from) / ((performance.now() - loaded) / 1000);
  const wall = performance.now();
  const cpu = process.cpuUsage();
  await putEach(backend, size, entry);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - wall) / 1000;
  console.log(
    `${backend.name} at ${size}: loaded ${size - PUTS - from} memories by putMany at ${bulk.toFixed(0)}/s, then ${PUTS} puts in ${seconds.toFixed(1)} s ` +
      `(this process's CPU ${((used.user + used.system) / 1e6).toFixed(1)} s)`,
  );
  const store = backend.reader;
  const query = new Float32Array(DIMS);
  const hybridOf = (text: string): RecallQuery => (words.embed(text, query), { text, vector: { model: MODEL, vector: query } });
  const text = await percentiles(questions, (q) => store.recall({ text: q, asOf, limit: 10 }));
  const hybrid = await percentiles(questions, (q) => store.recall({ ...hybridOf(q), asOf, limit: 10 }));
  const hour = await percentiles(hours, (w) => store.recall({ ...hybridOf(w.text), since: w.since, until: w.until, asOf, limit: 10 }));
  const day = await percentiles(days, (w) => store.recall({ ...hybridOf(w.text), since: w.since, until: w.until, asOf, limit: 10 }));
  const vectorOf = (i: number) => entry(i).embedding.vector;
  let found = 0;
  let same = 0;
  for (const [q, vector] of recallQueries.entries()) {
    const got = (await store.recall({ vector: { model: MODEL, vector }, limit: 10 })).memories.map((h) => indexOf(h.memory));
    // Memories with the same words have the same vector: any of them is as near as the one exact search listed.
    const tenth = cosineSimilarity(vector, vectorOf(exact[q]!.at(-1)!));
    found += got.filter((i) => cosineSimilarity(vector, vectorOf(i)) >= tenth).length;
    same += got.filter((i) => exact[q]!.includes(i)).length;
  }
  console.log(
    `${backend.name} at ${size}: recall@10 ${(found / (RECALL_QUERIES * 10)).toFixed(3)}, ` +
      `${(same / (RECALL_QUERIES * 10)).toFixed(3)} counting only the 10 exact search listed (not the memories tied with them)`,
  );
  const p95 = (l: { p95: number; cpu: number }) => `${l.p95.toFixed(1)} / ${l.cpu.toFixed(1)} ms`;
  return {
    inserts: `${(PUTS / seconds).toFixed(0)}`,
    text: latency(text),
    hybrid: latency(hybrid),
    hour: p95(hour),
    day: p95(day),
    recall: (found / (RECALL_QUERIES * 10)).toFixed(3),
  };
}

type Entry = (i: number) => { memory: Memory; embedding: MemoryEmbedding };

/**
 * Loads memories backend.size…until in batches of BATCH (putMany), one batch in flight per writer: a batch waiting
 * behind another on one connection would wait longer than store.connect_timeout_s.
 */
async function load(backend: Backend, until: number, entry: Entry): Promise<void> {
  let next = backend.size;
  await Promise.all(
    backend.writers.map(async (writer) => {
      while (next < until) {
        const from = next;
        next = Math.min(until, next + BATCH);
        await writer.putMany(Array.from({ length: next - from }, (_, k) => entry(from + k)));
      }
    }),
  );
  backend.size = until;
}

/** Each of the 8 robots puts its own memories of backend.size…until, one transaction each, all robots at once. */
async function putEach(backend: Backend, until: number, entry: Entry): Promise<void> {
  const from = backend.size;
  await Promise.all(
    Array.from({ length: ROBOTS }, async (_, w) => {
      const writer = backend.writers[w % backend.writers.length]!;
      for (let i = from + ((w - (from % ROBOTS) + ROBOTS) % ROBOTS); i < until; i += ROBOTS) {
        const { memory, embedding } = entry(i);
        if (!(await writer.put(memory, embedding))) throw new Error(`fleet bench: ${memory.id} was stored already`);
      }
    }),
  );
  backend.size = until;
}

async function sqliteBackend(path: string): Promise<Backend> {
  // One process writes a SQLite file: the 8 robots' puts go through one connection, one transaction at a time.
  const store = new SqliteMemoryStore({ path });
  return { name: 'SQLite', writers: [store], reader: store, size: 0, close: () => store.close() };
}

async function postgresBackend(name: string, url: string, writers: number): Promise<Backend> {
  const stores = await Promise.all(Array.from({ length: writers }, () => PostgresMemoryStore.open({ url, maxConnections: 1 })));
  const reader = await PostgresMemoryStore.open({ url });
  return {
    name,
    writers: stores,
    reader,
    size: 0,
    close: async () => {
      for (const store of [...stores, reader]) await store.close();
    },
  };
}

function embedded(words: Vocabulary, text: string): Float32Array {
  const vector = new Float32Array(DIMS);
  words.embed(text, vector);
  return vector;
}

/** The exact 10 nearest memories (by cosine) of each query among the first `n`. */
function exactNeighbours(queries: Float32Array[], vectors: Float32Array, n: number): number[][] {
  return queries.map((query) => {
    const similarity = new Float64Array(n);
    for (let i = 0; i < n; i++) similarity[i] = cosineSimilarity(query, vectors.subarray(i * DIMS, (i + 1) * DIMS));
    return topIndices(similarity, 10);
  });
}

/** The generation index of a memory made by memoryAt(i, …, ROBOTS). */
function indexOf(memory: Memory): number {
  return memory.segmentIndex * ROBOTS + Number(memory.robotId.slice('robot-'.length));
}

function ratio(a: string, b: string): string {
  const p95 = (cell: string) => Number(cell.split(' / ')[1]);
  return `${(p95(a) / p95(b)).toFixed(2)}×`;
}
