import { setImmediate as nextTurn } from 'node:timers/promises';
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
 * into RGB here, in JavaScript: one pass over the pixels, cut into slices of about SLICE_BYTES of input with a
 * turn of the event loop between them, so message callbacks are never held up for long (measured in
 * bench/segment.bench.ts). When `halve` is set (the keyframe is at most half the frame on both sides), those
 * passes average 2 × 2 blocks and produce a quarter of the pixels.
 */
export async function packPixels(msg: ImageMsg, data: Uint8Array, halve: boolean): Promise<PackedPixels> {
  switch (msg.encoding) {
    case 'rgb8':
    case 'bgr8':
      return { data: packRows(msg, data, 3), width: msg.width, height: msg.height, channels: 3, bgr: msg.encoding === 'bgr8' };
    case 'rgba8':
    case 'bgra8':
      return { data: packRows(msg, data, 4), width: msg.width, height: msg.height, channels: 4, bgr: msg.encoding === 'bgra8' };
    case 'mono8':
      return { data: packRows(msg, data, 1), width: msg.width, height: msg.height, channels: 1, bgr: false };
    case 'mono16':
      return { ...(await (halve ? highBytesHalved : highBytes)(msg, data)), channels: 1, bgr: false };
    case 'uyvy':
    case 'yuv422':
      return { ...(await (halve ? yuv422ToRgbHalved : yuv422ToRgb)(msg, data, { y0: 1, u: 0, y1: 3, v: 2 })), channels: 3, bgr: false };
    case 'yuyv':
    case 'yuv422_yuy2':
      return { ...(await (halve ? yuv422ToRgbHalved : yuv422ToRgb)(msg, data, { y0: 0, u: 1, y1: 2, v: 3 })), channels: 3, bgr: false };
    default:
      throw new Error(`packPixels: encoding ${msg.encoding} was not checked`);
  }
}

interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Input converted between two turns of the event loop: well under a millisecond of work. */
const SLICE_BYTES = 128 * 1024;

/** Runs `convertRow` for output rows 0…rows-1, yielding to the event loop after each slice of input. */
async function byRows(rows: number, inputBytesPerRow: number, convertRow: (row: number) => void): Promise<void> {
  const perSlice = Math.max(1, Math.floor(SLICE_BYTES / inputBytesPerRow));
  for (let row = 0; row < rows;) {
    const end = Math.min(rows, row + perSlice);
    for (; row < end; row++) convertRow(row);
    if (row < rows) await nextTurn();
  }
}

function packRows(msg: ImageMsg, data: Uint8Array, bpp: number): Uint8Array {
  const row = msg.width * bpp;
  if (msg.step === row) return data.subarray(0, row * msg.height);
  const packed = new Uint8Array(row * msg.height);
  for (let y = 0; y < msg.height; y++) packed.set(data.subarray(y * msg.step, y * msg.step + row), y * row);
  return packed;
}

async function highBytes(msg: ImageMsg, data: Uint8Array): Promise<Pixels> {
  const { width, height, step } = msg;
  const out = new Uint8Array(width * height);
  const high = msg.is_bigendian ? 0 : 1;
  await byRows(height, step, (y) => {
    let src = y * step + high;
    const end = (y + 1) * width;
    for (let o = y * width; o < end; o++, src += 2) out[o] = data[src]!;
  });
  return { data: out, width, height };
}

async function highBytesHalved(msg: ImageMsg, data: Uint8Array): Promise<Pixels> {
  const { step } = msg;
  const width = Math.floor(msg.width / 2);
  const height = Math.floor(msg.height / 2);
  const out = new Uint8Array(width * height);
  const [hi, lo] = msg.is_bigendian ? [0, 1] : [1, 0];
  await byRows(height, 2 * step, (y) => {
    const top = 2 * y * step;
    const bottom = top + step;
    let o = y * width;
    for (let i = 0; i < width * 4; i += 4) {
      const sum =
        ((data[top + i + hi]! + data[top + i + 2 + hi]! + data[bottom + i + hi]! + data[bottom + i + 2 + hi]!) << 8) +
        data[top + i + lo]! +
        data[top + i + 2 + lo]! +
        data[bottom + i + lo]! +
        data[bottom + i + 2 + lo]!;
      out[o++] = sum >> 10;
    }
  });
  return { data: out, width, height };
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

async function yuv422ToRgb(msg: ImageMsg, data: Uint8Array, at: Yuv422Layout): Promise<Pixels> {
  const { width, height, step } = msg;
  const rgb = new Uint8ClampedArray(width * height * 3); // clamps the fixed-point results to 0–255
  await byRows(height, step, (y) => {
    let o = y * width * 3;
    const end = y * step + width * 2;
    for (let i = y * step; i < end; i += 4) {
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
  });
  return { data: new Uint8Array(rgb.buffer), width, height };
}

/** One RGB pixel per 2 × 2 block: the pixel pair of a row and the pair below it, lumas and chromas averaged. */
async function yuv422ToRgbHalved(msg: ImageMsg, data: Uint8Array, at: Yuv422Layout): Promise<Pixels> {
  const { step } = msg;
  const width = msg.width / 2;
  const height = Math.floor(msg.height / 2);
  const rgb = new Uint8ClampedArray(width * height * 3);
  await byRows(height, 2 * step, (y) => {
    let o = y * width * 3;
    const top = 2 * y * step;
    const end = top + msg.width * 2;
    for (let i = top, j = top + step; i < end; i += 4, j += 4) {
      const u = (data[i + at.u]! + data[j + at.u]! + 1) >> 1;
      const v = (data[i + at.v]! + data[j + at.v]! + 1) >> 1;
      const l = LUMA[(data[i + at.y0]! + data[i + at.y1]! + data[j + at.y0]! + data[j + at.y1]! + 2) >> 2]!;
      rgb[o++] = (l + V_TO_R[v]!) >> FIXED;
      rgb[o++] = (l + U_TO_G[u]! + V_TO_G[v]!) >> FIXED;
      rgb[o++] = (l + U_TO_B[u]!) >> FIXED;
    }
  });
  return { data: new Uint8Array(rgb.buffer), width, height };
}
