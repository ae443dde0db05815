/**
 * Why a camera frame could not become a keyframe. Each code is one cause a user can act on, and the key under
 * which the frame is counted (CauseCounter, Segment.dropped).
 */
export type ImageRejection =
  /** Raw encoding or compressed payload taskmem does not convert: depth (16UC1, 32FC1), Bayer, unknown names. */
  | 'unsupported_encoding'
  /** CompressedImage whose format names no codec taskmem reads (only JPEG and PNG are read). */
  | 'unsupported_format'
  /** Zero width or height, or no data. */
  | 'empty_image'
  /** `step` smaller than width × bytes per pixel. */
  | 'short_step'
  /** Fewer data bytes than step × height. */
  | 'short_data'
  /** A 4:2:2 YUV image with an odd width (pixels come in pairs). */
  | 'odd_width'
  /** A JPEG or PNG that cannot be read. */
  | 'corrupt_image';

/** Thrown for a frame that cannot be converted; `code` says why, the message says where and with what values. */
export class ImageRejectedError extends Error {
  override name = 'ImageRejectedError';
  readonly code: ImageRejection;

  constructor(code: ImageRejection, message: string) {
    super(message);
    this.code = code;
  }
}
