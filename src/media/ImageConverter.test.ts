import assert from 'node:assert/strict';
import sharp from 'sharp';
import { ImageConverter, type CameraFrame } from './ImageConverter.js';
import { ImageRejectedError, type ImageRejection } from './ImageRejectedError.js';
import {
  BLUE,
  GREEN,
  RED,
  at,
  compressedImage,
  decodeImage,
  header,
  leftRight,
  luma,
  rawImage,
  solid,
  type Rgb,
} from '../../test/support/frames.js';
import type { CompressedImageMsg, ImageMsg } from '../messages.js';

const converter = new ImageConverter({ long_side: 448, jpeg_quality: 90 });
const image = (msg: ImageMsg): CameraFrame => ({ kind: 'image', msg });
const compressed = (msg: CompressedImageMsg): CameraFrame => ({ kind: 'compressed', msg });

function assertColour(actual: Rgb, expected: Rgb, what: string): void {
  const off = actual.map((c, i) => Math.abs(c - expected[i]!));
  assert.ok(Math.max(...off) <= 14, `${what}: got rgb(${actual.join(', ')}), expected about rgb(${expected.join(', ')})`);
}

/** Converts and checks the keyframe shows `left` on the left and `right` on the right at the expected size. */
async function assertHalves(frame: CameraFrame, size: [number, number], left: Rgb, right: Rgb): Promise<void> {
  const keyframe = await converter.convert(frame);
  const decoded = await decodeImage(keyframe.jpeg);
  assert.deepEqual([keyframe.width, keyframe.height], size);
  assert.deepEqual([decoded.width, decoded.height], size, 'the JPEG itself has the announced size');
  assertColour(decoded.colourAt(size[0] / 4, size[1] / 2), left, 'left half');
  assertColour(decoded.colourAt((3 * size[0]) / 4, size[1] / 2), right, 'right half');
}

async function rejection(frame: CameraFrame): Promise<ImageRejection> {
  const err: unknown = await converter.convert(frame).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ImageRejectedError, `expected an ImageRejectedError, got ${String(err)}`);
  return err.code;
}

describe('ImageConverter', () => {
  const grey = (c: Rgb): Rgb => [luma(c), luma(c), luma(c)];

  for (const encoding of ['rgb8', 'bgr8', 'rgba8', 'bgra8', 'uyvy', 'yuv422', 'yuyv', 'yuv422_yuy2']) {
    it(`converts ${encoding} VGA to a 448×352 JPEG with the colours in place`, async () => {
      const msg = rawImage({ encoding, width: 640, height: 480, paint: leftRight(RED, BLUE), stamp: at(3) });
      await assertHalves(image(msg), [448, 352], RED, BLUE);
      assert.equal((await converter.convert(image(msg))).stamp, at(3));
    });
  }

  it('converts mono8 and mono16 of either byte order to grey, never enlarging the short side', async () => {
    const paint = leftRight(GREEN, BLUE);
    for (const msg of [
      rawImage({ encoding: 'mono8', width: 320, height: 240, paint }),
      rawImage({ encoding: 'mono16', width: 320, height: 240, paint }),
      rawImage({ encoding: 'mono16', width: 320, height: 240, paint, bigEndian: true }),
    ]) {
      await assertHalves(image(msg), [288, 224], grey(GREEN), grey(BLUE));
    }
  });

  it('converts large YUV and mono16 frames through averaged 2 × 2 blocks with the colours in place', async () => {
    const paint = leftRight(RED, BLUE);
    await assertHalves(image(rawImage({ encoding: 'yuyv', width: 1280, height: 720, paint })), [448, 256], RED, BLUE);
    await assertHalves(image(rawImage({ encoding: 'uyvy', width: 1280, height: 723, padding: 6, paint })), [448, 256], RED, BLUE);
    await assertHalves(
      image(rawImage({ encoding: 'mono16', width: 1280, height: 720, paint, bigEndian: true })),
      [448, 256],
      grey(RED),
      grey(BLUE),
    );
  });

  it('skips the padding at the end of each row (step > width × bytes per pixel)', async () => {
    for (const encoding of ['rgb8', 'bgra8', 'mono16', 'yuyv']) {
      const msg = rawImage({ encoding, width: 150, height: 100, padding: 10, paint: leftRight(RED, GREEN) });
      const expected: [Rgb, Rgb] = encoding === 'mono16' ? [grey(RED), grey(GREEN)] : [RED, GREEN];
      await assertHalves(image(msg), [128, 96], ...expected);
    }
  });

  it('keeps the colour of 4-channel frames whose alpha is 0', async () => {
    await assertHalves(
      image(rawImage({ encoding: 'bgra8', width: 64, height: 64, alpha: 0, paint: solid(GREEN) })),
      [64, 64],
      GREEN,
      GREEN,
    );
  });

  it('passes a JPEG that already fits through byte for byte', async () => {
    const msg = await compressedImage({ codec: 'jpeg', width: 448, height: 320, paint: leftRight(RED, BLUE), stamp: at(1) });
    const keyframe = await converter.convert(compressed(msg));
    assert.deepEqual(keyframe.jpeg, msg.data);
    assert.deepEqual([keyframe.width, keyframe.height, keyframe.stamp], [448, 320, at(1)]);
  });

  it('passes a fitting progressive JPEG through, but re-encodes a CMYK one that not every reader takes', async () => {
    const pixels = (await compressedImage({ codec: 'png', width: 448, height: 320, paint: leftRight(RED, BLUE) })).data;
    const progressive = new Uint8Array(await sharp(pixels).jpeg({ progressive: true }).toBuffer());
    const cmyk = new Uint8Array(await sharp(pixels).toColourspace('cmyk').jpeg().toBuffer());
    const passed = await converter.convert(compressed({ header: header(at(0)), format: 'jpeg', data: progressive }));
    assert.equal(passed.jpeg, progressive);
    const msg = { header: header(at(0)), format: 'jpeg', data: cmyk };
    const keyframe = await converter.convert(compressed(msg));
    assert.notDeepEqual(keyframe.jpeg, cmyk);
    const original = await decodeImage(cmyk); // CMYK → sRGB goes through a profile: compare with that, not RED
    await assertHalves(compressed(msg), [448, 320], original.colourAt(112, 160), original.colourAt(336, 160));
    assert.equal((await sharp(keyframe.jpeg).metadata()).space, 'srgb');
  });

  it('resizes a JPEG or PNG that does not fit, whatever format string image_transport wrote', async () => {
    const paint = leftRight(BLUE, GREEN);
    for (const [codec, format] of [
      ['jpeg', 'bgr8; jpeg compressed bgr8'],
      ['jpeg', 'jpeg'],
      ['png', 'rgb8; png compressed'],
      ['png', 'png'],
    ] as const) {
      const msg = await compressedImage({ codec, format, width: 640, height: 480, paint });
      await assertHalves(compressed(msg), [448, 352], BLUE, GREEN);
    }
  });

  it('re-encodes a fitting PNG as JPEG', async () => {
    const msg = await compressedImage({ codec: 'png', width: 64, height: 64, paint: solid(RED) });
    const keyframe = await converter.convert(compressed(msg));
    assert.deepEqual([keyframe.jpeg[0], keyframe.jpeg[1]], [0xff, 0xd8]);
  });

  it('rejects depth, Bayer and unknown encodings with unsupported_encoding', async () => {
    for (const encoding of ['16UC1', '32FC1', 'bayer_rggb8', 'hsv8']) {
      const msg = rawImage({ encoding, width: 8, height: 8, paint: solid(RED) });
      assert.equal(await rejection(image(msg)), 'unsupported_encoding', encoding);
      assert.throws(() => converter.check(image(msg)), /not converted; supported: rgb8/);
    }
    const depth = await compressedImage({ codec: 'png', width: 8, height: 8, paint: solid(RED), format: '16UC1; compressedDepth png' });
    assert.equal(await rejection(compressed(depth)), 'unsupported_encoding');
  });

  it('rejects malformed raw images with a cause that says what is wrong', async () => {
    const good = () => rawImage({ encoding: 'rgb8', width: 16, height: 8, paint: solid(RED) });
    assert.equal(await rejection(image({ ...good(), data: good().data.subarray(0, 16 * 3 * 8 - 1) })), 'short_data');
    assert.equal(await rejection(image({ ...good(), width: 0 })), 'empty_image');
    assert.equal(await rejection(image({ ...good(), height: 0 })), 'empty_image');
    assert.equal(await rejection(image({ ...good(), step: 16 * 3 - 1 })), 'short_step');
    assert.equal(await rejection(image(rawImage({ encoding: 'uyvy', width: 15, height: 8, paint: solid(RED) }))), 'odd_width');
    assert.throws(() => converter.check(image({ ...good(), step: 40 })), /step 40 is less than width × 3 bytes = 48/);
  });

  it('rejects corrupt and unknown compressed data', async () => {
    const jpeg = await compressedImage({ codec: 'jpeg', width: 640, height: 480, paint: leftRight(RED, BLUE) });
    const bytes = jpeg.data;
    assert.equal(await rejection(compressed({ ...jpeg, data: bytes.subarray(0, bytes.length / 2) })), 'corrupt_image', 'truncated');
    assert.equal(
      await rejection(compressed({ ...jpeg, data: Uint8Array.from([0xff, 0xd8, 0x00, 0x01, 0x02, 0x03, 0x04]) })),
      'corrupt_image',
      'no frame header',
    );
    assert.equal(
      await rejection(compressed({ ...jpeg, data: Uint8Array.from([1, 2, 3, 4]) })),
      'corrupt_image',
      'jpeg format, not jpeg data',
    );
    assert.equal(await rejection(compressed({ ...jpeg, format: 'theora', data: Uint8Array.from([1, 2, 3, 4]) })), 'unsupported_format');
    assert.equal(await rejection(compressed({ ...jpeg, data: new Uint8Array(0) })), 'empty_image');
  });

  it('reads plain-array message data as well as Uint8Array', async () => {
    const msg = rawImage({ encoding: 'rgb8', width: 64, height: 32, paint: leftRight(RED, GREEN) });
    await assertHalves(image({ ...msg, data: Array.from(msg.data) }), [64, 32], RED, GREEN);
  });
});
