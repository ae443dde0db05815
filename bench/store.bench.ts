/**
 * Memory store benchmark (`npm run bench -- store`): insert rate with one transaction per memory (wall clock and
 * per CPU second, since the machine may be shared), full-text
 * recall p95 at 10^4, 10^5 and 10^6 memories, hybrid (text + 384-d vector) recall p95 at 10^6, and recall@10 of
 * the binary-quantised vector pass against exact cosine search, recall at 10^6 within a 1-hour and a 1-day window
 * with the store's plan (only the window's memories ranked) beside ranking every match and filtering afterwards,
 * and the listing of memories without a vector of a model (embedding retries, reindexing).
 * Memories are generated scene descriptions with a
 * Zipf-distributed vocabulary of common words and thousands of names, so common query words match many rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMemoryStore } from '../src/memory/SqliteMemoryStore.js';
import { cosineSimilarity } from '../src/memory/embedding.js';
import { consoleLogger } from '../src/log.js';
import { DIMS, latency, memoryAt, MODEL, percentiles, SEGMENT, T0, topIndices, Vocabulary } from './sceneCorpus.js';

const SIZES = [10_000, 100_000, 1_000_000];
const QUERIES = 300;
/** One-transaction puts timed at each size (the rest is bulk-loaded with putMany to keep the run short). */
const PUTS = 5_000;
const RECALL_QUERIES = 40;
/** Questions per windowed figure (ranking every match of a windowed hybrid question takes seconds). */
const WINDOWED_QUERIES = 40;

export default async function storeBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'taskmem-store-bench-'));
  const words = new Vocabulary(20260101);
  const vectors = new Float32Array(SIZES.at(-1)! * DIMS);
  const store = new SqliteMemoryStore({ path: join(dir, 'memory.sqlite'), logger: consoleLogger });
  try {
    console.log(`store: SQLite in ${dir}; ${DIMS}-d vectors on every memory; ${QUERIES} questions per figure`);
    console.log('size       insert/s wall / CPU (1 tx each)   full-text p50 / p95 / CPU   hybrid p50 / p95 / CPU');
    let stored = 0;
    const next = () => {
      const text = words.memoryText();
      const vector = vectors.subarray(stored * DIMS, (stored + 1) * DIMS);
      words.embed(text, vector);
      return { memory: memoryAt(stored++, text), embedding: { model: MODEL, vector } };
    };
    for (const size of SIZES) {
      // Bulk-load up to the size, then time one-transaction puts of the last PUTS memories at that size.
      while (stored < size - PUTS) await store.putMany(Array.from({ length: Math.min(10_000, size - PUTS - stored) }, next));
      const timed = Array.from({ length: PUTS }, next);
      const wall = performance.now();
      const cpu = process.cpuUsage();
      for (const { memory, embedding } of timed) await store.put(memory, embedding);
      const used = process.cpuUsage(cpu);
      const rates = `${(PUTS / ((performance.now() - wall) / 1000)).toFixed(0)} / ${(PUTS / ((used.user + used.system) / 1e6)).toFixed(0)}`;
      const asOf = T0 + BigInt(size) * SEGMENT;
      const questions = Array.from({ length: QUERIES }, () => words.question());
      const text = await percentiles(questions, (q) => store.recall({ text: q, asOf, limit: 10 }));
      let hybrid = '';
      if (size === SIZES.at(-1)) {
        const query = new Float32Array(DIMS);
        const h = await percentiles(
          questions,
          (q) => (words.embed(q, query), store.recall({ text: q, vector: { model: MODEL, vector: query }, asOf, limit: 10 })),
        );
        hybrid = latency(h);
      }
      console.log(`${String(size).padEnd(10)} ${rates.padEnd(33)} ${latency(text).padEnd(27)} ${hybrid}`);
    }
    await vectorRecall(store, words, vectors, stored);
    await windowedRecall(store, join(dir, 'memory.sqlite'), words, stored);
    await unembeddedListing(store, words, stored);
    console.log('targets: ≥ 5,000 inserts/s; full-text p95 ≤ 20 ms at 10^6; hybrid p95 ≤ 50 ms at 10^6, with a time window too');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** recall@10 of vector-only recall (Hamming pass + exact re-rank) against exact cosine over every vector. */
async function vectorRecall(store: SqliteMemoryStore, words: Vocabulary, vectors: Float32Array, n: number): Promise<void> {
  let found = 0;
  const query = new Float32Array(DIMS);
  for (let q = 0; q < RECALL_QUERIES; q++) {
    words.embed(words.question(), query);
    const got = new Set(
      (await store.recall({ vector: { model: MODEL, vector: query }, limit: 10 })).memories.map((h) => h.memory.segmentIndex),
    );
    const exact = new Float64Array(n);
    for (let i = 0; i < n; i++) exact[i] = cosineSimilarity(query, vectors.subarray(i * DIMS, (i + 1) * DIMS));
    const best = topIndices(exact, 10);
    found += best.filter((i) => got.has(i)).length;
  }
  console.log(`vector recall@10 vs exact cosine at ${n}: ${(found / (RECALL_QUERIES * 10)).toFixed(3)} (${RECALL_QUERIES} questions)`);
}

/**
 * Full-text and hybrid recall within a window ending at a random point of the history: the store's plan (an index
 * bounds the window to a few thousand memories, which alone are ranked) beside the same file opened with
 * filterFirstBelow: 0 (every match ranked, the window applied to what is found).
 */
async function windowedRecall(store: SqliteMemoryStore, path: string, words: Vocabulary, n: number): Promise<void> {
  const scanning = new SqliteMemoryStore({ path, filterFirstBelow: 0 });
  const asOf = T0 + BigInt(n) * SEGMENT;
  const query = new Float32Array(DIMS);
  try {
    console.log(`window at ${n}  recall      window ranked p50 / p95 / CPU   every match ranked p50 / p95 / CPU   p95 ratio`);
    for (const [name, seconds] of [
      ['1 hour', 3_600n],
      ['1 day', 86_400n],
    ] as const) {
      const windows = Array.from({ length: WINDOWED_QUERIES }, () => {
        const until = T0 + BigInt(words.int(n)) * SEGMENT;
        return { text: words.question(), since: until - seconds * 1_000_000_000n, until };
      });
      for (const hybrid of [false, true]) {
        const recall = (on: SqliteMemoryStore) => (w: (typeof windows)[number]) => {
          if (hybrid) words.embed(w.text, query);
          return on.recall({ ...w, ...(hybrid ? { vector: { model: MODEL, vector: query } } : {}), asOf, limit: 10 });
        };
        const planned = await percentiles(windows, recall(store));
        const scanned = await percentiles(windows, recall(scanning));
        console.log(
          `${name.padEnd(15)} ${(hybrid ? 'hybrid' : 'full-text').padEnd(11)} ${latency(planned).padEnd(31)} ${latency(scanned).padEnd(36)} ${(scanned.p95 / planned.p95).toFixed(0)}×`,
        );
      }
    }
  } finally {
    await scanning.close();
  }
}

/**
 * The write path's retry and `reindex` find their work by listing the memories without a vector of a model. At
 * 10^6 memories that all have one, PENDING more are stored without (an embedding endpoint that was down), then:
 * the count, the first page (the anti-join walks every embedded memory before them), the following pages (resumed
 * at the cursor), storing their embeddings, and a listing once none is left; and for a model with no vectors (a
 * model change), the count and the first pages.
 */
async function unembeddedListing(store: SqliteMemoryStore, words: Vocabulary, n: number): Promise<void> {
  const PENDING = 1_000;
  const PAGE = 100;
  const vector = new Float32Array(DIMS);
  for (let i = 0; i < PENDING; i++) await store.put(memoryAt(n + i, words.memoryText()));
  const timed = async <T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> => {
    const started = performance.now();
    const result = await work();
    return { result, ms: performance.now() - started };
  };
  const count = await timed(() => store.countUnembedded(MODEL));
  const pages: number[] = [];
  let after: string | null = null;
  let listed = 0;
  let embedding = 0;
  do {
    const page = await timed(() => store.unembedded(MODEL, { after, limit: PAGE }));
    pages.push(page.ms);
    listed += page.result.memories.length;
    after = page.result.next;
    const entries = page.result.memories.map((memory) => {
      words.embed(memory.text, vector);
      return { memory, embedding: { model: MODEL, vector: vector.slice() } };
    });
    embedding += (await timed(() => store.putEmbeddings(entries))).ms;
  } while (after !== null);
  const none = await timed(() => store.unembedded(MODEL, { limit: PAGE }));
  const rest = pages.slice(1);
  console.log(
    `unembedded at ${n + PENDING} (${PENDING} without a vector): count ${count.ms.toFixed(1)} ms (${count.result}); ` +
      `first page of ${PAGE} ${pages[0]!.toFixed(1)} ms, next ${rest.length} pages ${(rest.reduce((a, b) => a + b, 0) / rest.length).toFixed(1)} ms each ` +
      `(${listed} listed); storing their embeddings ${(embedding / pages.length).toFixed(1)} ms per page; ` +
      `none left ${none.ms.toFixed(1)} ms (${none.result.memories.length} listed)`,
  );
  const fresh = await timed(() => store.countUnembedded('another-model'));
  const first = await timed(() => store.unembedded('another-model', { limit: PAGE }));
  const second = await timed(() => store.unembedded('another-model', { after: first.result.next, limit: PAGE }));
  console.log(
    `a model without vectors: count ${fresh.ms.toFixed(1)} ms (${fresh.result}); first page ${first.ms.toFixed(1)} ms, second ${second.ms.toFixed(1)} ms`,
  );
}
