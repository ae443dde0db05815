import type { ImageMsg } from '../messages.js';

/**
 * The raw sensor_msgs/Image encodings taskmem converts, with their bytes per pixel. The 4:2:2 YUV names are
 * those of ROS 2 up to Humble (`yuv422` is UYVY, `yuv422_yuy2` is YUYV) and from Jazzy on (`uyvy`, `yuyv`).
 */
const BYTES_PER_PIXEL: Readonly<Record<string, number>> = {
  rgb8: 3,
  bgr8: 3,
  rgba8: 4,
  bgra8: 4,
  mono8: 1,
  mono16: 2,
  uyvy: 2,
  yuv422: 2,
  yuyv: 2,
  yuv422_yuy2: 2,
};

export const RAW_ENCODINGS = Object.keys(BYTES_PER_PIXEL);

export function bytesPerPixel(encoding: string): number | undefined {
  return BYTES_PER_PIXEL[encoding];
}

/** Pixels as sharp reads raw input: rows packed without padding, 1, 3 or 4 interleaved 8-bit channels. */
export interface PackedPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  /** Channels are in B, G, R order; the swap is left to sharp, after resizing, off the main thread. */
  bgr: boolean;
}

/**
 * Packs the pixels of a checked image (known encoding, step and data length verified). Packed 8-bit data is
 * passed on without copying; padded rows are copied row by row. mono16 keeps its high byte and YUV is turned
 * into RGB here, in JavaScript, in one pass over the pixels (measured in bench/segment.bench.ts). When `halve`
 * is set (the keyframe is at most half the frame on both sides), those two passes average 2 × 2 blocks and
 * produce a quarter of the pixels, so large frames cost the calling thread little more than VGA ones.
 */
export function packPixels(msg: ImageMsg, data: Uint8Array, halve: boolean): PackedPixels {
  const { width, height } = msg;
  const whole = { width, height };
  const half = { width: Math.floor(width / 2), height: Math.floor(height / 2) };
  switch (msg.encoding) {
    case 'rgb8':
    case 'bgr8':
      return { data: packRows(msg, data, 3), ...whole, channels: 3, bgr: msg.encoding === 'bgr8' };
    case 'rgba8':
    case 'bgra8':
      return { data: packRows(msg, data, 4), ...whole, channels: 4, bgr: msg.encoding === 'bgra8' };
    case 'mono8':
      return { data: packRows(msg, data, 1), ...whole, channels: 1, bgr: false };
    case 'mono16':
      return halve
        ? { data: highBytesHalved(msg, data), ...half, channels: 1, bgr: false }
        : { data: highBytes(msg, data), ...whole, channels: 1, bgr: false };
    case 'uyvy':
    case 'yuv422':
      return yuv(msg, data, { y0: 1, u: 0, y1: 3, v: 2 }, halve);
    case 'yuyv':
    case 'yuv422_yuy2':
      return yuv(msg, data, { y0: 0, u: 1, y1: 2, v: 3 }, halve);
    default:
      throw new Error(`packPixels: encoding ${msg.encoding} was not checked`);
  }
}

function yuv(msg: ImageMsg, data: Uint8Array, layout: Yuv422Layout, halve: boolean): PackedPixels {
  return halve
    ? { data: yuv422ToRgbHalved(msg, data, layout), width: msg.width / 2, height: Math.floor(msg.height / 2), channels: 3, bgr: false }
    : { data: yuv422ToRgb(msg, data, layout), width: msg.width, height: msg.height, channels: 3, bgr: false };
}

function packRows(msg: ImageMsg, data: Uint8Array, bpp: number): Uint8Array {
  const row = msg.width * bpp;
  if (msg.step === row) return data.subarray(0, row * msg.height);
  const packed = new Uint8Array(row * msg.height);
  for (let y = 0; y < msg.height; y++) packed.set(data.subarray(y * msg.step, y * msg.step + row), y * row);
  return packed;
}

function highBytes(msg: ImageMsg, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(msg.width * msg.height);
  const high = msg.is_bigendian ? 0 : 1;
  for (let y = 0; y < msg.height; y++) {
    let src = y * msg.step + high;
    const end = (y + 1) * msg.width;
    for (let o = y * msg.width; o < end; o++, src += 2) out[o] = data[src]!;
  }
  return out;
}

function highBytesHalved(msg: ImageMsg, data: Uint8Array): Uint8Array {
  const width = Math.floor(msg.width / 2);
  const height = Math.floor(msg.height / 2);
  const out = new Uint8Array(width * height);
  const [hi, lo] = msg.is_bigendian ? [0, 1] : [1, 0];
  const sample = (i: number) => (data[i + hi]! << 8) | data[i + lo]!;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const top = 2 * y * msg.step;
    const bottom = top + msg.step;
    for (let x = 0; x < width; x++) {
      const i = x * 4;
      out[o++] = (sample(top + i) + sample(top + i + 2) + sample(bottom + i) + sample(bottom + i + 2)) >> 10;
    }
  }
  return out;
}

/** Byte offsets of the two lumas and the shared chromas within one 4-byte pair of pixels. */
interface Yuv422Layout {
  y0: number;
  u: number;
  y1: number;
  v: number;
}

// BT.601 with video range (Y 16–235), as OpenCV's and cv_bridge's YUV 4:2:2 conversions; fixed point, 10 bits.
const FIXED = 10;
const table = (f: (i: number) => number) => Int32Array.from({ length: 256 }, (_, i) => Math.round(f(i) * (1 << FIXED)));
const LUMA = table((y) => 1.164 * (y - 16) + 0.5);
const V_TO_R = table((v) => 1.596 * (v - 128));
const U_TO_G = table((u) => -0.392 * (u - 128));
const V_TO_G = table((v) => -0.813 * (v - 128));
const U_TO_B = table((u) => 2.017 * (u - 128));

function yuv422ToRgb(msg: ImageMsg, data: Uint8Array, at: Yuv422Layout): Uint8Array {
  const rgb = new Uint8ClampedArray(msg.width * msg.height * 3); // clamps the fixed-point results to 0–255
  let o = 0;
  for (let y = 0; y < msg.height; y++) {
    const end = y * msg.step + msg.width * 2;
    for (let i = y * msg.step; i < end; i += 4) {
      const u = data[i + at.u]!;
      const v = data[i + at.v]!;
      const r = V_TO_R[v]!;
      const g = U_TO_G[u]! + V_TO_G[v]!;
      const b = U_TO_B[u]!;
      const l0 = LUMA[data[i + at.y0]!]!;
      const l1 = LUMA[data[i + at.y1]!]!;
      rgb[o++] = (l0 + r) >> FIXED;
      rgb[o++] = (l0 + g) >> FIXED;
      rgb[o++] = (l0 + b) >> FIXED;
      rgb[o++] = (l1 + r) >> FIXED;
      rgb[o++] = (l1 + g) >> FIXED;
      rgb[o++] = (l1 + b) >> FIXED;
    }
  }
  return new Uint8Array(rgb.buffer);
}

/** One RGB pixel per 2 × 2 block: the pixel pair of a row and the pair below it, lumas and chromas averaged. */
function yuv422ToRgbHalved(msg: ImageMsg, data: Uint8Array, at: Yuv422Layout): Uint8Array {
  const width = msg.width / 2;
  const height = Math.floor(msg.height / 2);
  const rgb = new Uint8ClampedArray(width * height * 3);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const top = 2 * y * msg.step;
    const end = top + msg.width * 2;
    for (let i = top, j = top + msg.step; i < end; i += 4, j += 4) {
      const u = (data[i + at.u]! + data[j + at.u]! + 1) >> 1;
      const v = (data[i + at.v]! + data[j + at.v]! + 1) >> 1;
      const l = LUMA[(data[i + at.y0]! + data[i + at.y1]! + data[j + at.y0]! + data[j + at.y1]! + 2) >> 2]!;
      rgb[o++] = (l + V_TO_R[v]!) >> FIXED;
      rgb[o++] = (l + U_TO_G[u]! + V_TO_G[v]!) >> FIXED;
      rgb[o++] = (l + U_TO_B[u]!) >> FIXED;
    }
  }
  return new Uint8Array(rgb.buffer);
}
