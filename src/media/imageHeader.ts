import { ImageRejectedError } from './ImageRejectedError.js';

/** What a compressed image's header says, read without decoding the pixels. */
export interface ImageHeader {
  codec: 'jpeg' | 'png';
  width: number;
  height: number;
  /**
   * True for a JPEG any decoder reads as it is: Huffman-coded baseline, extended or progressive, 8-bit, with 1
   * (grey) or 3 (YCbCr) components. Others (CMYK, 12-bit, arithmetic-coded, lossless) are re-encoded.
   */
  common: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Reads codec and size from the first bytes of a JPEG or PNG. Returns undefined when the bytes start like
 * neither; throws ImageRejectedError('corrupt_image') when they start like one but the header is broken.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) return readJpegHeader(bytes);
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return readPngHeader(bytes);
  return undefined;
}

function readJpegHeader(bytes: Uint8Array): ImageHeader {
  let i = 2;
  while (i + 3 < bytes.length) {
    if (bytes[i] !== 0xff) throw corrupt(`JPEG: expected a marker at byte ${i}`);
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (length < 2) throw corrupt(`JPEG: segment at byte ${i} has length ${length}`);
    const isFrameHeader = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrameHeader) {
      if (i + 9 >= bytes.length) break;
      const precision = bytes[i + 4]!;
      const height = (bytes[i + 5]! << 8) | bytes[i + 6]!;
      const width = (bytes[i + 7]! << 8) | bytes[i + 8]!;
      const components = bytes[i + 9]!;
      if (width === 0 || height === 0) throw corrupt(`JPEG: frame header gives size ${width}×${height}`);
      const common = marker <= 0xc2 && precision === 8 && (components === 1 || components === 3);
      return { codec: 'jpeg', width, height, common };
    }
    if (marker === 0xda || marker === 0xd9) throw corrupt('JPEG: no frame header before the image data');
    i += 2 + length;
  }
  throw corrupt(`JPEG: header ends after ${bytes.length} bytes without a frame header`);
}

function readPngHeader(bytes: Uint8Array): ImageHeader {
  const isIhdr = bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52;
  if (bytes.length < 24 || !isIhdr) throw corrupt('PNG: no IHDR chunk after the signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) throw corrupt(`PNG: header gives size ${width}×${height}`);
  return { codec: 'png', width, height, common: false };
}

function corrupt(why: string): ImageRejectedError {
  return new ImageRejectedError('corrupt_image', `compressed image: ${why}`);
}
