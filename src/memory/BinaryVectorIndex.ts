import { createHammingKernel, type HammingKernel } from './hammingKernel.js';

/**
 * Binary quantisation of an embedding: one bit per dimension (set when the component is positive), packed
 * little-endian into bytes and padded to whole 16-byte blocks. Hamming distance between two codes approximates
 * the angle between the vectors (random-hyperplane LSH with the coordinate axes as hyperplanes).
 */
export function binaryCode(vector: Float32Array): Uint8Array {
  const code = new Uint8Array(codeBytes(vector.length));
  for (let i = 0; i < vector.length; i++) if (vector[i]! > 0) code[i >> 3]! |= 1 << (i & 7);
  return code;
}

export function codeBytes(dims: number): number {
  return Math.ceil(dims / 128) * 16;
}

const PAGE = 65536;
/** Distances are computed in chunks of this many codes so the output buffer stays fixed. */
const CHUNK = 65536;
const QUERY_AT = 0;
const OUT_AT = 65536;
const CODES_AT = OUT_AT + 2 * CHUNK;

/**
 * An in-memory array of binary codes keyed by an integer (a memory's row number), scanned exhaustively with
 * Hamming distance. 10^6 codes of 384 bits take 48 MB and about 15 ms per scan, selection included; the caller
 * re-ranks the best few hundred with exact vectors. Not thread-safe; one index per store connection.
 */
export class BinaryVectorIndex {
  readonly #bytes: number;
  readonly #kernel: HammingKernel;
  #keys = new Float64Array(1024);
  readonly #slots = new Map<number, number>();
  /** Scratch space for one scan's distances, reused between queries. */
  #distances = new Uint16Array(0);
  #size = 0;

  constructor(dims: number) {
    this.#bytes = codeBytes(dims);
    if (this.#bytes / 16 > 4095) throw new Error(`BinaryVectorIndex: ${dims} dimensions exceed the kernel's 524,160`);
    this.#kernel = createHammingKernel();
  }

  get size(): number {
    return this.#size;
  }

  has(key: number): boolean {
    return this.#slots.has(key);
  }

  /** Adds or replaces the code for `key`. */
  set(key: number, code: Uint8Array): void {
    if (code.length !== this.#bytes) throw new Error(`BinaryVectorIndex#set: code of ${code.length} bytes, expected ${this.#bytes}`);
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.#size++;
      this.#reserve(this.#size);
      this.#keys[slot] = key;
      this.#slots.set(key, slot);
    }
    new Uint8Array(this.#kernel.memory.buffer, CODES_AT + slot * this.#bytes, this.#bytes).set(code);
  }

  delete(key: number): void {
    const slot = this.#slots.get(key);
    if (slot === undefined) return;
    this.#slots.delete(key);
    const last = --this.#size;
    if (slot !== last) {
      const moved = this.#keys[last]!;
      this.#keys[slot] = moved;
      this.#slots.set(moved, slot);
      const heap = new Uint8Array(this.#kernel.memory.buffer);
      heap.copyWithin(CODES_AT + slot * this.#bytes, CODES_AT + last * this.#bytes, CODES_AT + (last + 1) * this.#bytes);
    }
  }

  /** Keys of the `count` codes nearest to `query` by Hamming distance, nearest first (ties in any order). */
  nearest(query: Uint8Array, count: number): number[] {
    const n = this.#size;
    if (n === 0 || count <= 0) return [];
    if (this.#distances.length < n) this.#distances = new Uint16Array(this.#keys.length);
    const distances = this.#distances;
    const histogram = new Uint32Array(this.#bytes * 8 + 1);
    new Uint8Array(this.#kernel.memory.buffer, QUERY_AT, this.#bytes).set(query);
    for (let first = 0; first < n; first += CHUNK) {
      const m = Math.min(CHUNK, n - first);
      this.#kernel.hamming(CODES_AT + first * this.#bytes, m, this.#bytes / 16, QUERY_AT, OUT_AT);
      const out = new Uint16Array(this.#kernel.memory.buffer, OUT_AT, m);
      for (let j = 0; j < m; j++) {
        const d = out[j]!;
        distances[first + j] = d;
        histogram[d]!++;
      }
    }
    // The smallest threshold whose cumulative count reaches `count`: every code below it is taken, then codes at
    // the threshold until `count` are reached.
    let threshold = 0;
    let below = 0;
    while (below + histogram[threshold]! < count && threshold < histogram.length - 1) below += histogram[threshold++]!;
    let atThreshold = count - below;
    const picked: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = distances[i]!;
      if (d < threshold || (d === threshold && atThreshold-- > 0)) picked.push(i);
    }
    picked.sort((a, b) => distances[a]! - distances[b]!);
    return picked.map((slot) => this.#keys[slot]!);
  }

  /**
   * `keys` ordered by an asymmetric estimate of similarity: the float query against each code's signs
   * (Σ query[i] over the set bits, i.e. the dot product with the sign vector up to a constant). Finer than
   * Hamming distance, which has quantised the query too; used to order a Hamming shortlist.
   */
  orderBySigns(query: Float32Array, keys: number[]): number[] {
    // sums[j·256 + b]: Σ query[8j + k] over the set bits k of byte value b at byte position j; a code then
    // scores with one lookup per byte.
    const bytes = Math.ceil(query.length / 8);
    const sums = new Float64Array(bytes * 256);
    for (let j = 0; j < bytes; j++) {
      for (let b = 1; b < 256; b++) {
        const low = 31 - Math.clz32(b & -b);
        sums[j * 256 + b] = sums[j * 256 + (b & (b - 1))]! + (query[8 * j + low] ?? 0);
      }
    }
    const heap = new Uint8Array(this.#kernel.memory.buffer);
    const scores = new Float64Array(keys.length);
    keys.forEach((key, k) => {
      const slot = this.#slots.get(key);
      if (slot === undefined) throw new Error(`BinaryVectorIndex#orderBySigns: no code for key ${key}`);
      const base = CODES_AT + slot * this.#bytes;
      let score = 0;
      for (let j = 0; j < bytes; j++) score += sums[j * 256 + heap[base + j]!]!;
      scores[k] = score;
    });
    return keys
      .map((_, k) => k)
      .sort((a, b) => scores[b]! - scores[a]!)
      .map((k) => keys[k]!);
  }

  #reserve(size: number): void {
    if (size > this.#keys.length) {
      const keys = new Float64Array(Math.max(size, this.#keys.length * 2));
      keys.set(this.#keys);
      this.#keys = keys;
    }
    const needed = CODES_AT + size * this.#bytes;
    const have = this.#kernel.memory.buffer.byteLength;
    if (needed > have) this.#kernel.memory.grow(Math.ceil((Math.max(needed, have * 1.5) - have) / PAGE));
  }
}
