import sharp, { type Matrix3x3 } from 'sharp';
import { asUint8Array, type CompressedImageMsg, type ImageMsg } from '../messages.js';
import { fromRosTime } from '../time.js';
import type { CameraParams } from '../config/sections/camera.js';
import type { Keyframe } from '../segment/Segment.js';
import { ImageRejectedError } from './ImageRejectedError.js';
import { readImageHeader, type ImageHeader } from './imageHeader.js';
import { keyframeSize } from './keyframeSize.js';
import { RAW_ENCODINGS, bytesPerPixel, packPixels } from './rawImage.js';

/** A camera message as it arrived, raw or compressed. */
export type CameraFrame = { kind: 'image'; msg: ImageMsg } | { kind: 'compressed'; msg: CompressedImageMsg };

/** Turns camera frames into keyframes. The Segmenter takes any implementation (a test counts conversions). */
export interface FrameConverter {
  /**
   * Cheap checks that need no decoding (encoding, sizes, step, data length, compressed header); throws
   * ImageRejectedError. A frame that passes may still fail `convert` when its compressed data is corrupt.
   */
  check(frame: CameraFrame): void;
  /** Runs the checks, then converts; rejects with ImageRejectedError for a frame that cannot be converted. */
  convert(frame: CameraFrame): Promise<Keyframe>;
}

/** Channel swap for BGR data, applied by sharp after resizing. */
const SWAP_RED_BLUE: Matrix3x3 = [
  [0, 0, 1],
  [0, 1, 0],
  [1, 0, 0],
];

/** Encodings of depth and Bayer cameras and untyped OpenCV matrices, named so that their rejection says what they are. */
const NOT_COLOUR = /^(\d+[UFS]C\d|bayer_)/i;

/**
 * sensor_msgs Image and CompressedImage → JPEG keyframes whose sides are multiples of 32, the long side at most
 * `camera.long_side` (see keyframeSize). Decoding, resizing and encoding run in sharp on libuv's thread pool;
 * only cheap per-pixel passes (unpadding, mono16, YUV; in slices, see packPixels) run on the calling thread. A JPEG that already has a
 * fitting size is passed through byte for byte, without decoding.
 */
export class ImageConverter implements FrameConverter {
  readonly #longSide: number;
  readonly #quality: number;

  constructor(camera: Pick<CameraParams, 'long_side' | 'jpeg_quality'>) {
    this.#longSide = camera.long_side;
    this.#quality = camera.jpeg_quality;
  }

  check(frame: CameraFrame): void {
    if (frame.kind === 'image') checkImage(frame.msg);
    else checkCompressed(frame.msg);
  }

  async convert(frame: CameraFrame): Promise<Keyframe> {
    return frame.kind === 'image' ? this.#convertImage(frame.msg) : this.#convertCompressed(frame.msg);
  }

  async #convertImage(msg: ImageMsg): Promise<Keyframe> {
    checkImage(msg);
    const size = keyframeSize(msg.width, msg.height, this.#longSide);
    const halve = size.width * 2 <= msg.width && size.height * 2 <= msg.height;
    const { data, width, height, channels, bgr } = await packPixels(msg, asUint8Array(msg.data), halve);
    let input = sharp(data, { raw: { width, height, channels } });
    if (channels === 4) {
      // Alpha is dropped before resizing: sharp premultiplies alpha when resizing, and cameras often leave it 0.
      const rgb = await input.removeAlpha().raw().toBuffer();
      input = sharp(rgb, { raw: { width, height, channels: 3 } });
    }
    input = input.resize(size.width, size.height, { fit: 'fill' });
    if (bgr) input = input.recomb(SWAP_RED_BLUE);
    const jpeg = await input.jpeg({ quality: this.#quality }).toBuffer();
    return { stamp: fromRosTime(msg.header.stamp), jpeg, ...size };
  }

  async #convertCompressed(msg: CompressedImageMsg): Promise<Keyframe> {
    const header = checkCompressed(msg);
    const stamp = fromRosTime(msg.header.stamp);
    const data = asUint8Array(msg.data);
    const size = keyframeSize(header.width, header.height, this.#longSide);
    const fits = size.width === header.width && size.height === header.height;
    if (header.codec === 'jpeg' && header.common && fits) return { stamp, jpeg: data, ...size };
    try {
      const jpeg = await sharp(data, { failOn: 'truncated' })
        .resize(size.width, size.height, { fit: 'fill' })
        .removeAlpha()
        .jpeg({ quality: this.#quality })
        .toBuffer();
      return { stamp, jpeg, ...size };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new ImageRejectedError('corrupt_image', `${describeCompressed(msg, header)}: cannot be decoded: ${why}`);
    }
  }
}

function checkImage(msg: ImageMsg): void {
  const where = `image ${msg.width}×${msg.height} ${msg.encoding || '(no encoding)'}`;
  const bpp = bytesPerPixel(msg.encoding);
  if (bpp === undefined) {
    const what = NOT_COLOUR.test(msg.encoding) ? ' (depth, Bayer or untyped matrix data)' : '';
    throw new ImageRejectedError(
      'unsupported_encoding',
      `${where}: encoding ${JSON.stringify(msg.encoding)}${what} is not converted; supported: ${RAW_ENCODINGS.join(' ')}`,
    );
  }
  if (msg.width === 0 || msg.height === 0) throw new ImageRejectedError('empty_image', `${where}: image has no pixels`);
  if (msg.step < msg.width * bpp) {
    throw new ImageRejectedError('short_step', `${where}: step ${msg.step} is less than width × ${bpp} bytes = ${msg.width * bpp}`);
  }
  if (bpp === 2 && msg.encoding !== 'mono16' && msg.width % 2 !== 0) {
    throw new ImageRejectedError('odd_width', `${where}: 4:2:2 YUV needs an even width`);
  }
  if (msg.data.length < msg.step * msg.height) {
    throw new ImageRejectedError('short_data', `${where}: data has ${msg.data.length} bytes, step × height is ${msg.step * msg.height}`);
  }
}

/**
 * image_transport writes `format` as "<encoding>; <codec> compressed [<target>]" ("bgr8; jpeg compressed bgr8",
 * "rgb8; png compressed"); older or other publishers write just "jpeg" or "png". The codec is taken from the
 * data's own signature; the format is read only to reject depth (compressedDepth) and Bayer streams by name.
 */
function checkCompressed(msg: CompressedImageMsg): ImageHeader {
  const where = `compressed image (format ${JSON.stringify(msg.format)})`;
  const encoding = msg.format.includes(';') ? msg.format.split(';')[0]!.trim() : '';
  if (/compresseddepth/i.test(msg.format) || NOT_COLOUR.test(encoding)) {
    throw new ImageRejectedError('unsupported_encoding', `${where}: depth and Bayer images are not converted`);
  }
  if (msg.data.length === 0) throw new ImageRejectedError('empty_image', `${where}: no data`);
  const data = asUint8Array(msg.data);
  let header: ImageHeader | undefined;
  try {
    header = readImageHeader(data);
  } catch (err) {
    if (err instanceof ImageRejectedError) throw new ImageRejectedError(err.code, `${where}: ${err.message}`);
    throw err;
  }
  if (header) return header;
  if (/jpe?g|png/i.test(msg.format)) {
    throw new ImageRejectedError('corrupt_image', `${where}: data does not start with a JPEG or PNG signature`);
  }
  throw new ImageRejectedError('unsupported_format', `${where}: only JPEG and PNG are read`);
}

function describeCompressed(msg: CompressedImageMsg, header: ImageHeader): string {
  return `compressed image (format ${JSON.stringify(msg.format)}, ${header.codec} ${header.width}×${header.height})`;
}
