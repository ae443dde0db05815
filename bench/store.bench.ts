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
import { memoryId, type Memory } from '../src/memory/Memory.js';
import { searchTerms } from '../src/memory/searchTerms.js';
import { cosineSimilarity } from '../src/memory/embedding.js';
import { consoleLogger } from '../src/log.js';

const SIZES = [10_000, 100_000, 1_000_000];
const DIMS = 384;
/** The embedding model the generated vectors are recorded under. */
const MODEL = 'bench-bag-of-words';
const QUERIES = 300;
/** One-transaction puts timed at each size (the rest is bulk-loaded with putMany to keep the run short). */
const PUTS = 5_000;
const RECALL_QUERIES = 40;
/** Questions per windowed figure (ranking every match of a windowed hybrid question takes seconds). */
const WINDOWED_QUERIES = 40;
const T0 = 1_790_000_000_000_000_000n;
const SEGMENT = 10_000_000_000n;

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

function topIndices(values: Float64Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (best.length < k || values[i]! > values[best.at(-1)!]!) {
      best.push(i);
      best.sort((a, b) => values[b]! - values[a]!);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

/** p50 and p95 wall-clock latency, and mean CPU time per call (unaffected by other processes on the machine). */
async function percentiles<T>(inputs: T[], run: (input: T) => Promise<unknown>): Promise<{ p50: number; p95: number; cpu: number }> {
  for (const input of inputs.slice(0, 10)) await run(input);
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (const input of inputs) {
    const started = performance.now();
    await run(input);
    times.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length * 0.5)]!,
    p95: times[Math.floor(times.length * 0.95)]!,
    cpu: (used.user + used.system) / 1000 / inputs.length,
  };
}

const latency = (l: { p50: number; p95: number; cpu: number }) => `${l.p50.toFixed(1)} / ${l.p95.toFixed(1)} / ${l.cpu.toFixed(1)} ms`;

function memoryAt(i: number, text: string): Memory {
  const start = T0 + BigInt(i) * SEGMENT;
  return {
    id: memoryId('bench', 0, start),
    robotId: 'bench',
    episode: 0,
    segmentIndex: i,
    start,
    end: start + SEGMENT,
    createdAt: start + SEGMENT + 2_000_000_000n,
    text,
    source: 'policy',
    taskGroup: i % 7 === 0 ? 'deliveries' : null,
    focusDepth: 0,
    quality: { format: true, hygiene: true, preference: null, descriptionTokens: 60 },
    pose: { stamp: start, frameId: 'map', x: (i % 400) / 10, y: (i % 310) / 10, z: 0, yaw: 0 },
    model: 'bench',
    template: 'memorize@1',
    transcript: [],
    people: [],
    thumbnails: [],
  };
}

const ROOMS =
  'kitchen hallway living room office bedroom garage lab corridor lobby pantry workshop stairwell bathroom balcony storeroom laundry'.split(
    ' ',
  );
const COLORS = 'red blue green yellow black white grey orange purple brown pink silver golden beige navy teal'.split(' ');
const OBJECTS = `mug cup keys phone laptop backpack umbrella jacket bottle plate bowl box parcel chair table lamp book notebook
  pen wallet glasses charger cable remote bag basket towel plant vase kettle toaster monitor keyboard mouse helmet shoe
  sock hat scarf glove ladder bucket broom mop drill hammer screwdriver tape scissors stapler folder binder envelope letter
  sign poster clock mirror pillow blanket sofa shelf cabinet drawer door window fridge oven microwave sink faucet trolley
  cart pallet crate toolbox extinguisher badge card ticket map tablet camera tripod speaker headphones guitar ball toy
  doll puzzle candle jar spoon fork knife pan pot lid tray napkin sponge soap bin bag'`.split(/\s+/);
const VERBS = `places picks up carries drops moves opens closes inspects cleans repairs hands over leaves forgets checks
  stacks unpacks wraps labels charges plugs in unplugs fills empties washes dries folds hangs sorts counts scans`.split(/\s+/);
const PLACES =
  'on the counter|next to the door|under the table|on the shelf|in the drawer|by the window|on the sofa|near the sink|behind the monitor|inside the cabinet|on the floor|at the desk'.split(
    '|',
  );
const EVENTS = `The lights flicker briefly.|A delivery robot passes in the corridor.|Someone knocks on the door.|The coffee machine beeps.|
  Rain is visible through the window.|A phone rings in the background.|The fire alarm test sounds.|Music plays quietly.|
  The floor looks wet near the entrance.|A dog barks outside.`.split(/\|\s*/);
const QUESTIONS = [
  (v: Vocabulary) => `Where did I leave my ${v.pick(OBJECTS)}?`,
  (v: Vocabulary) => `What did ${v.name()} do with the ${v.pick(COLORS)} ${v.pick(OBJECTS)}?`,
  (v: Vocabulary) => `When was the ${v.pick(OBJECTS)} last seen in the ${v.pick(ROOMS)}?`,
  (v: Vocabulary) => `Who ${v.pick(VERBS)} the ${v.pick(OBJECTS)} ${v.pick(PLACES)}?`,
  (v: Vocabulary) => `Did anyone bring a ${v.pick(OBJECTS)} from ${v.brand()} to the ${v.pick(ROOMS)}?`,
];

/** A seeded generator of scene descriptions and questions; word choice follows a Zipf law within each list. */
class Vocabulary {
  #seed: number;
  readonly #names: string[];
  readonly #brands: string[];
  readonly #wordVectors = new Map<string, Float32Array>();

  constructor(seed: number) {
    this.#seed = seed;
    const syllables = 'ka lo mi ra ten so vi an el mar jo li be no sa tor pe du fin ga'.split(' ');
    const coin = (parts: number) => Array.from({ length: parts }, () => syllables[this.int(syllables.length)]).join('');
    this.#names = Array.from({ length: 3000 }, () => capitalize(coin(2 + this.int(2))));
    this.#brands = Array.from({ length: 5000 }, () => capitalize(coin(3)));
  }

  memoryText(): string {
    const sentences = [
      `${this.name()} ${this.pick(VERBS)} the ${this.pick(COLORS)} ${this.pick(OBJECTS)} ${this.pick(PLACES)} in the ${this.pick(ROOMS)}.`,
      `A ${this.pick(COLORS)} ${this.pick(OBJECTS)} from ${this.brand()} is ${this.pick(PLACES)}.`,
      `${this.name()} talks to ${this.name()} about the ${this.pick(OBJECTS)} and the ${this.pick(OBJECTS)}.`,
      this.pick(EVENTS),
      `The robot is in the ${this.pick(ROOMS)}; a ${this.pick(OBJECTS)} and a ${this.pick(COLORS)} ${this.pick(OBJECTS)} are visible.`,
    ];
    return sentences.filter(() => this.int(4) !== 0).join(' ') || sentences[0]!;
  }

  question(): string {
    return this.pick(QUESTIONS)(this);
  }

  /** A bag-of-words embedding: the normalised sum of a fixed random vector per search term. */
  embed(text: string, out: Float32Array): void {
    out.fill(0);
    for (const term of searchTerms(text)) {
      let v = this.#wordVectors.get(term);
      if (!v) {
        v = new Float32Array(DIMS);
        let h = hash(term);
        for (let i = 0; i < DIMS; i++) v[i] = (h = (h * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5;
        this.#wordVectors.set(term, v);
      }
      for (let i = 0; i < DIMS; i++) out[i]! += v[i]!;
    }
  }

  name(): string {
    return this.pick(this.#names);
  }

  brand(): string {
    return this.pick(this.#brands);
  }

  pick<T>(list: readonly T[]): T {
    // Zipf(1) over the list by inverse transform on a harmonic approximation.
    const u = this.random();
    const rank = Math.min(list.length - 1, Math.floor(Math.exp(u * Math.log(list.length + 1)) - 1));
    return list[rank]!;
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  random(): number {
    this.#seed = (this.#seed * 1664525 + 1013904223) >>> 0;
    return this.#seed / 2 ** 32;
  }
}

function capitalize(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}
