/**
 * Synthetic camera and pose messages with known content, shaped as rclnodejs and the rosbag2 reader deliver
 * them, and a JPEG reader for checking what came out.
 */
import sharp from 'sharp';
import type {
  CompressedImageMsg,
  HeaderMsg,
  ImageMsg,
  OdometryMsg,
  PoseMsg,
  PoseStampedMsg,
  PoseWithCovarianceStampedMsg,
} from '../../src/messages.js';
import { secondsToNanos, toRosTime, type RosNanos } from '../../src/time.js';

export type Rgb = readonly [number, number, number];
/** Colour of pixel (x, y) of a width × height picture. */
export type Paint = (x: number, y: number, width: number, height: number) => Rgb;

export const RED: Rgb = [220, 30, 30];
export const GREEN: Rgb = [30, 200, 60];
export const BLUE: Rgb = [40, 60, 210];

/** Left half one colour, right half another: shows both channel order and orientation. */
export function leftRight(left: Rgb, right: Rgb): Paint {
  return (x, _y, width) => (x < width / 2 ? left : right);
}

export function solid(colour: Rgb): Paint {
  return () => colour;
}

/** Stamp `seconds` after an arbitrary but realistic epoch time (2026-01-01), so stamps exceed 2^53 ns. */
export const EPOCH: RosNanos = 1_767_225_600n * 1_000_000_000n;
export function at(seconds: number): RosNanos {
  return EPOCH + secondsToNanos(seconds);
}

export function header(stamp: RosNanos, frameId = 'camera'): HeaderMsg {
  return { stamp: toRosTime(stamp), frame_id: frameId };
}

export interface RawImageOptions {
  encoding: string;
  width: number;
  height: number;
  paint: Paint;
  stamp?: RosNanos;
  /** Bytes added after each row (step = width × bytes per pixel + padding). */
  padding?: number;
  bigEndian?: boolean;
  /** Alpha of rgba8/bgra8 pixels; cameras often leave it 0. */
  alpha?: number;
}

const LAYOUT: Record<string, { bpp: number; write: (out: Uint8Array, i: number, c: Rgb, o: RawImageOptions) => void }> = {
  rgb8: { bpp: 3, write: (out, i, [r, g, b]) => out.set([r, g, b], i) },
  bgr8: { bpp: 3, write: (out, i, [r, g, b]) => out.set([b, g, r], i) },
  rgba8: { bpp: 4, write: (out, i, [r, g, b], o) => out.set([r, g, b, o.alpha ?? 255], i) },
  bgra8: { bpp: 4, write: (out, i, [r, g, b], o) => out.set([b, g, r, o.alpha ?? 255], i) },
  mono8: { bpp: 1, write: (out, i, c) => out.set([luma(c)], i) },
  mono16: {
    bpp: 2,
    write: (out, i, c, o) => {
      const v = luma(c) * 257;
      out.set(o.bigEndian ? [v >> 8, v & 255] : [v & 255, v >> 8], i);
    },
  },
};

export function luma([r, g, b]: Rgb): number {
  return Math.round(0.299 * r + 0.587 * g + 0.114 * b);
}

/** A sensor_msgs/Image painted by `paint` in any supported encoding (and a few unsupported ones, filled with 0). */
export function rawImage(o: RawImageOptions): ImageMsg & { data: Uint8Array } {
  const yuv = { uyvy: 'uyvy', yuv422: 'uyvy', yuyv: 'yuyv', yuv422_yuy2: 'yuyv' }[o.encoding];
  const layout = LAYOUT[o.encoding];
  const bpp = yuv ? 2 : (layout?.bpp ?? 2);
  const step = (yuv ? Math.ceil(o.width / 2) * 4 : o.width * bpp) + (o.padding ?? 0); // YUV pixels come in pairs
  const data = new Uint8Array(step * o.height).fill(0xee); // padding bytes are visible garbage if read
  for (let y = 0; y < o.height; y++) {
    for (let x = 0; x < o.width; x += yuv ? 2 : 1) {
      const i = y * step + x * bpp;
      if (yuv) writeYuvPair(data, i, o.paint(x, y, o.width, o.height), o.paint(x + 1, y, o.width, o.height), yuv);
      else if (layout) layout.write(data, i, o.paint(x, y, o.width, o.height), o);
      else data.fill(0, i, i + bpp);
    }
  }
  return {
    header: header(o.stamp ?? EPOCH),
    height: o.height,
    width: o.width,
    encoding: o.encoding,
    is_bigendian: o.bigEndian ? 1 : 0,
    step,
    data,
  };
}

// RGB → BT.601 video-range YUV, the inverse of what cameras and cv_bridge assume.
const yuvOf = (c: Rgb) => {
  const [r, g, b] = c;
  return [
    16 + 0.257 * r + 0.504 * g + 0.098 * b,
    128 - 0.148 * r - 0.291 * g + 0.439 * b,
    128 + 0.439 * r - 0.368 * g - 0.071 * b,
  ] as const;
};

function writeYuvPair(out: Uint8Array, i: number, a: Rgb, b: Rgb, order: string): void {
  const [y0, u0, v0] = yuvOf(a);
  const [y1, u1, v1] = yuvOf(b);
  const [y, u, v] = order === 'uyvy' ? [i + 1, i, i + 2] : [i, i + 1, i + 3];
  out[y] = Math.round(y0);
  out[y + 2] = Math.round(y1);
  out[u] = Math.round((u0 + u1) / 2);
  out[v] = Math.round((v0 + v1) / 2);
}

export interface CompressedImageOptions {
  codec: 'jpeg' | 'png';
  width: number;
  height: number;
  paint: Paint;
  stamp?: RosNanos;
  /** As image_transport writes it; defaults to "bgr8; <codec> compressed bgr8". */
  format?: string;
}

/** A sensor_msgs/CompressedImage whose data is a real JPEG or PNG of the painted picture. */
export async function compressedImage(o: CompressedImageOptions): Promise<CompressedImageMsg & { data: Uint8Array }> {
  const pixels = new Uint8Array(o.width * o.height * 3);
  for (let y = 0; y < o.height; y++) {
    for (let x = 0; x < o.width; x++) pixels.set(o.paint(x, y, o.width, o.height), (y * o.width + x) * 3);
  }
  const image = sharp(pixels, { raw: { width: o.width, height: o.height, channels: 3 } });
  const data = await (o.codec === 'jpeg' ? image.jpeg({ quality: 90 }) : image.png()).toBuffer();
  return {
    header: header(o.stamp ?? EPOCH),
    format: o.format ?? `bgr8; ${o.codec} compressed bgr8`,
    data: new Uint8Array(data),
  };
}

/** A decoded JPEG, to check what a keyframe shows. */
export interface DecodedImage {
  width: number;
  height: number;
  /** Mean colour of a 5×5 patch around (x, y); grey images give three equal channels. */
  colourAt(x: number, y: number): Rgb;
}

export async function decodeImage(bytes: Uint8Array): Promise<DecodedImage> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const colourAt = (x: number, y: number): Rgb => {
    const sum = [0, 0, 0];
    let n = 0;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        const i = ((y + dy) * info.width + (x + dx)) * info.channels;
        for (let c = 0; c < 3; c++) sum[c]! += data[i + (info.channels >= 3 ? c : 0)]!;
        n++;
      }
    }
    return [Math.round(sum[0]! / n), Math.round(sum[1]! / n), Math.round(sum[2]! / n)];
  };
  return { width: info.width, height: info.height, colourAt };
}

function poseOf(x: number, y: number, yaw: number): PoseMsg {
  return { position: { x, y, z: 0 }, orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) } };
}

export function poseStamped(stamp: RosNanos, x: number, y: number, yaw: number): PoseStampedMsg {
  return { header: header(stamp, 'map'), pose: poseOf(x, y, yaw) };
}

export function poseWithCovariance(stamp: RosNanos, x: number, y: number, yaw: number): PoseWithCovarianceStampedMsg {
  return { header: header(stamp, 'map'), pose: { pose: poseOf(x, y, yaw), covariance: new Float64Array(36) } };
}

export function odometry(stamp: RosNanos, x: number, y: number, yaw: number): OdometryMsg {
  return {
    header: header(stamp, 'odom'),
    child_frame_id: 'base_link',
    pose: { pose: poseOf(x, y, yaw), covariance: new Float64Array(36) },
  };
}
