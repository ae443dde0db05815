/**
 * RIFF/WAVE containers: encoding 16 kHz speech for transcription requests and reading the header of a WAV
 * file that a publisher sent whole in one audio message.
 */

/** PCM sample layouts taskmem reads, in GStreamer / audio_common naming. */
export type SampleFormat = 'S16LE' | 'S32LE' | 'F32LE' | 'U8';

export const BYTES_PER_SAMPLE: Record<SampleFormat, number> = { S16LE: 2, S32LE: 4, F32LE: 4, U8: 1 };

export interface WavAudio {
  sampleRate: number;
  channels: number;
  format: SampleFormat;
  /** Interleaved sample bytes of the data chunk (a view into the input). */
  data: Uint8Array;
}

/** Mono float samples in [-1, 1] as a 16-bit PCM WAV file; values outside the range are clipped. */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    view.setInt16(44 + i * 2, Math.round(s * 32767), true);
  }
  return bytes;
}

/** True when `bytes` begins with a RIFF/WAVE header. */
export function isWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && tag(bytes, 0) === 'RIFF' && tag(bytes, 8) === 'WAVE';
}

/** Reads a PCM or IEEE-float WAV file; throws naming what is wrong with it. */
export function parseWav(bytes: Uint8Array): WavAudio {
  if (!isWav(bytes)) throw new Error('parseWav: not a RIFF/WAVE file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: Omit<WavAudio, 'data'> | null = null;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = tag(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new Error('parseWav: fmt chunk is truncated');
      let formatTag = view.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE keeps the real format tag in the first two bytes of its sub-format GUID.
      if (formatTag === 0xfffe && size >= 40) formatTag = view.getUint16(body + 24, true);
      const bits = view.getUint16(body + 14, true);
      fmt = {
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        format: wavFormat(formatTag, bits),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('parseWav: data chunk before fmt chunk');
      // Streaming writers leave the size at 0 or 0xffffffff: take everything that follows.
      const end = size === 0 || size === 0xffffffff ? bytes.length : Math.min(bytes.length, body + size);
      return { ...fmt, data: bytes.subarray(body, end) };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('parseWav: no data chunk');
}

function wavFormat(formatTag: number, bits: number): SampleFormat {
  if (formatTag === 1 && bits === 16) return 'S16LE';
  if (formatTag === 1 && bits === 32) return 'S32LE';
  if (formatTag === 1 && bits === 8) return 'U8';
  if (formatTag === 3 && bits === 32) return 'F32LE';
  throw new Error(`parseWav: unsupported sample layout (format tag ${formatTag}, ${bits} bits); supported: 8/16/32-bit PCM, 32-bit float`);
}

function tag(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}
