import sharp from 'sharp';
import type { Keyframe } from '../segment/Segment.js';

/** Long side of a stored thumbnail: enough to recognise a scene in a list, about 5 KB each. */
export const THUMBNAIL_LONG_SIDE = 160;

/** Small JPEGs of a segment's keyframes, kept with its memory when `store.thumbnails` is on. */
export async function keyframeThumbnails(keyframes: Keyframe[]): Promise<Uint8Array[]> {
  return Promise.all(
    keyframes.map(async (keyframe) => {
      const jpeg = await sharp(keyframe.jpeg)
        .resize({ width: THUMBNAIL_LONG_SIDE, height: THUMBNAIL_LONG_SIDE, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 70 })
        .toBuffer();
      return new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
    }),
  );
}
