import type { RosNanos } from '../time.js';

/** Audio after decoding: 16 kHz mono float samples in [-1, 1], the first sample taken at `stamp`. */
export interface PcmChunk {
  stamp: RosNanos;
  samples: Float32Array;
}

export const PCM_SAMPLE_RATE = 16_000;
