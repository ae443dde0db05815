import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { keyframeThumbnails, THUMBNAIL_LONG_SIDE } from './keyframeThumbnails.js';

describe('keyframeThumbnails', () => {
  it('makes one small JPEG per keyframe, its long side 160 px, aspect kept', async () => {
    const wide = await sharp({ create: { width: 448, height: 256, channels: 3, background: '#336699' } })
      .jpeg()
      .toBuffer();
    const small = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#993366' } })
      .jpeg()
      .toBuffer();
    const keyframe = (jpeg: Buffer, width: number, height: number) => ({ stamp: 0n, jpeg: new Uint8Array(jpeg), width, height });
    const thumbnails = await keyframeThumbnails([keyframe(wide, 448, 256), keyframe(small, 64, 48)]);
    const sizes = await Promise.all(thumbnails.map(async (t) => sharp(t).metadata()));
    assert.deepEqual(
      sizes.map((m) => [m.format, m.width, m.height]),
      [
        ['jpeg', THUMBNAIL_LONG_SIDE, 91],
        ['jpeg', 64, 48],
      ],
      'a frame smaller than a thumbnail is not enlarged',
    );
  });
});
