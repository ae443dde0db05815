import assert from 'node:assert/strict';
import { BinaryVectorIndex, binaryCode } from './BinaryVectorIndex.js';

function randomVector(dims: number, seed: number): Float32Array {
  let s = seed;
  return new Float32Array(dims).map(() => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5);
}

function hamming(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x; x &= x - 1) d++;
  return d;
}

describe('BinaryVectorIndex', function () {
  it('packs one sign bit per dimension into whole 16-byte blocks', () => {
    const code = binaryCode(new Float32Array([1, -1, 0, 2, ...new Array<number>(5).fill(-1), 3]));
    assert.equal(code.length, 16);
    assert.deepEqual([...code.subarray(0, 2)], [0b1001, 0b10]);
  });

  for (const dims of [64, 384, 1000]) {
    it(`finds the nearest codes exactly as a plain Hamming scan does (${dims} dimensions)`, () => {
      const index = new BinaryVectorIndex(dims);
      const codes = Array.from({ length: 3000 }, (_, i) => binaryCode(randomVector(dims, i + 1)));
      codes.forEach((code, i) => index.set(i * 10, code));
      const query = binaryCode(randomVector(dims, 99_999));
      const got = index.nearest(query, 25);
      const want = codes.map((code, i) => ({ key: i * 10, d: hamming(code, query) })).sort((a, b) => a.d - b.d);
      assert.equal(got.length, 25);
      assert.deepEqual(
        got.map((key) => hamming(codes[key / 10]!, query)),
        want.slice(0, 25).map((w) => w.d),
      );
    });
  }

  it("orders a shortlist by the float query against each code's sign bits", () => {
    const dims = 100;
    const index = new BinaryVectorIndex(dims);
    const vectors = Array.from({ length: 50 }, (_, i) => randomVector(dims, i + 7));
    vectors.forEach((v, i) => index.set(i, binaryCode(v)));
    const query = randomVector(dims, 4242);
    const signScore = (v: Float32Array) => v.reduce((sum, x, i) => sum + (x > 0 ? query[i]! : 0), 0);
    const want = vectors
      .map((v, i) => ({ i, s: signScore(v) }))
      .sort((a, b) => b.s - a.s)
      .map((r) => r.i);
    assert.deepEqual(index.orderBySigns(query, [...vectors.keys()].reverse()), want);
    assert.throws(() => index.orderBySigns(query, [999]), /no code for key 999/);
  });

  it('replaces and deletes codes by key, and spans many scan chunks', () => {
    const index = new BinaryVectorIndex(128);
    const far = binaryCode(new Float32Array(128).fill(-1));
    for (let key = 0; key < 70_000; key++) index.set(key, far);
    const near = binaryCode(new Float32Array(128).fill(1));
    index.set(69_999, near);
    index.set(5, near);
    assert.deepEqual(new Set(index.nearest(near, 2)), new Set([5, 69_999]));
    index.delete(5);
    index.set(5, far);
    index.delete(69_999);
    assert.equal(index.size, 69_999);
    assert.equal(index.nearest(near, 1).length, 1);
    assert.notEqual(index.nearest(near, 1)[0], 69_999);
  });
});
