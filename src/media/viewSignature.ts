import sharp from 'sharp';

/** Side of the grey thumbnail two views are compared on: small enough to ignore noise and compression. */
const SIGNATURE_SIDE = 16;

/** Below this difference two keyframes show the same view: what was read or seen in one holds for the other. */
export const SAME_VIEW = 0.02;

/** A tiny grey thumbnail of an encoded image, for comparing views. */
export async function viewSignature(image: Uint8Array): Promise<Uint8Array> {
  const grey = await sharp(image).resize(SIGNATURE_SIDE, SIGNATURE_SIDE, { fit: 'fill' }).greyscale().raw().toBuffer();
  return new Uint8Array(grey.buffer, grey.byteOffset, grey.byteLength);
}

/** Mean absolute grey-level difference of two signatures, 0 (same) to 1. */
export function viewDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / (a.length * 255);
}
