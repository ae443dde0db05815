/**
 * A WebAssembly SIMD kernel that computes Hamming distances between one binary query code and many stored codes.
 * JavaScript has no popcount instruction; a table-driven scan over 10^6 × 384-bit codes takes ~100 ms here,
 * this kernel about 6 ms. The module is small enough to be written out as bytes, so no toolchain is needed.
 *
 * Export `hamming(codes, count, blocks, query, out)`: for i in [0, count), writes the u16 distance between the
 * code at `codes + i·16·blocks` and the code at `query` (both `blocks` 16-byte blocks) to `out + 2i`.
 * Per-block popcounts are widened to 16-bit lanes, so codes of up to 4095 blocks cannot overflow.
 */
export interface HammingKernel {
  memory: WasmMemory;
  hamming(codes: number, count: number, blocks: number, query: number, out: number): void;
}

/** The parts of the WebAssembly API used here (Node has it; this project's type libraries do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const I32 = 0x7f;
const V128 = 0x7b;
const simd = (op: number): number[] => (op < 0x80 ? [0xfd, op] : [0xfd, (op & 0x7f) | 0x80, op >> 7]);
const get = (local: number) => [0x20, local];
const set = (local: number) => [0x21, local];
const tee = (local: number) => [0x22, local];
const i32Const = (value: number) => [0x41, value];

// Locals: 0 codes, 1 count, 2 blocks, 3 query, 4 out (parameters); 5 i, 6 b, 7 acc, 8 code pointer, 9 query pointer.
const body = [
  3,
  2,
  I32,
  1,
  V128,
  2,
  I32,
  ...get(0),
  ...set(8),
  0x02,
  0x40, // block $done
  0x03,
  0x40, //   loop $vector
  ...get(5),
  ...get(1),
  0x4f,
  0x0d,
  1, // if i >= count: break $done
  ...simd(0x0c),
  ...new Array<number>(16).fill(0),
  ...set(7),
  ...i32Const(0),
  ...set(6),
  ...get(3),
  ...set(9),
  0x03,
  0x40, //     loop $block
  ...get(7),
  ...get(8),
  ...simd(0x00),
  0,
  0, // v128.load code block
  ...get(9),
  ...simd(0x00),
  0,
  0, // v128.load query block
  ...simd(0x51), // v128.xor
  ...simd(0x62), // i8x16.popcnt
  ...simd(0x7d), // i16x8.extadd_pairwise_i8x16_u
  ...simd(0x8e), // i16x8.add
  ...set(7),
  ...get(8),
  ...i32Const(16),
  0x6a,
  ...set(8),
  ...get(9),
  ...i32Const(16),
  0x6a,
  ...set(9),
  ...get(6),
  ...i32Const(1),
  0x6a,
  ...tee(6),
  ...get(2),
  0x49,
  0x0d,
  0, // while ++b < blocks
  0x0b, //     end $block
  ...get(4),
  ...get(5),
  ...i32Const(1),
  0x74,
  0x6a, // &out[i]
  ...get(7),
  ...simd(0x7f),
  ...tee(7), // i32x4.extadd_pairwise_i16x8_u
  ...simd(0x1b),
  0,
  ...get(7),
  ...simd(0x1b),
  1,
  0x6a,
  ...get(7),
  ...simd(0x1b),
  2,
  0x6a,
  ...get(7),
  ...simd(0x1b),
  3,
  0x6a,
  0x3b,
  1,
  0, // i32.store16
  ...get(5),
  ...i32Const(1),
  0x6a,
  ...set(5),
  0x0c,
  0, //   continue $vector
  0x0b, //   end $vector
  0x0b, // end $done
  0x0b, // end function
];

const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const name = (text: string) => [text.length, ...Buffer.from(text, 'ascii')];

const moduleBytes = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type: (i32 × 5) → ()
  ...section(3, [1, 0]), // one function of type 0
  ...section(5, [1, 0x00, 1]), // one memory, at least one page
  ...section(7, [2, ...name('memory'), 0x02, 0, ...name('hamming'), 0x00, 0]),
  ...section(10, [1, ...uleb(body.length), ...body]),
]);

function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

const compiled = new wasm.Module(moduleBytes);

/** A fresh kernel instance with its own memory. */
export function createHammingKernel(): HammingKernel {
  const instance = new wasm.Instance(compiled);
  const exports = instance.exports as HammingKernel;
  return { memory: exports.memory, hamming: (...args) => exports.hamming(...args) };
}
