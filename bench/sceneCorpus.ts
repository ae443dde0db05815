/**
 * The generated memories and questions the store benchmarks share (`store`, `fleet`): scene descriptions
 * with a Zipf-distributed vocabulary of common words (objects, rooms, colours) and thousands of person and brand
 * names, so that common question words match many memories; bag-of-words 384-d embeddings; and the latency and
 * recall arithmetic the benchmarks report with.
 */
import type { Memory } from '../src/memory/Memory.js';
import { memoryId } from '../src/memory/Memory.js';
import { searchTerms } from '../src/memory/searchTerms.js';

export const DIMS = 384;
/** The embedding model the generated vectors are recorded under. */
export const MODEL = 'bench-bag-of-words';
export const T0 = 1_790_000_000_000_000_000n;
/** One memory per robot every 10 s. */
export const SEGMENT = 10_000_000_000n;

/** Indices of the k largest values, largest first. */
export function topIndices(values: Float64Array, k: number): number[] {
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
export async function percentiles<T>(inputs: T[], run: (input: T) => Promise<unknown>): Promise<{ p50: number; p95: number; cpu: number }> {
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

export const latency = (l: { p50: number; p95: number; cpu: number }) =>
  `${l.p50.toFixed(1)} / ${l.p95.toFixed(1)} / ${l.cpu.toFixed(1)} ms`;

/**
 * The i-th generated memory of `robots` robots that each write one every SEGMENT: memory i is robot i % robots's,
 * at the (i / robots)-th segment of the history, so the robots' memories interleave in time as a fleet's do.
 */
export function memoryAt(i: number, text: string, robots = 1): Memory {
  const slot = Math.floor(i / robots);
  const robotId = robots === 1 ? 'bench' : `robot-${i % robots}`;
  const start = T0 + BigInt(slot) * SEGMENT;
  return {
    id: memoryId(robotId, 0, start),
    robotId,
    episode: 0,
    segmentIndex: slot,
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
export class Vocabulary {
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
