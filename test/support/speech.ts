/**
 * Real speech for audio tests, spoken by espeak-ng and converted by sox (Debian packages espeak-ng, sox, lame),
 * in whatever rate, channel count and sample layout a test needs, plus the ROS messages that carry it.
 */
import { execFileSync } from 'node:child_process';
import type { AudioDataStampedMsg, AudioInfoMsg } from '../../src/messages.js';
import { parseWav, type SampleFormat, type WavAudio } from '../../src/media/wav.js';
import { toRosTime, type RosNanos } from '../../src/time.js';

export interface SpeechOptions {
  rate?: number;
  channels?: number;
  format?: SampleFormat;
  /** Silence before and after the words, in seconds. */
  leadS?: number;
  trailS?: number;
}

const SOX_ENCODING: Record<SampleFormat, string[]> = {
  S16LE: ['-e', 'signed-integer', '-b', '16'],
  S32LE: ['-e', 'signed-integer', '-b', '32'],
  F32LE: ['-e', 'floating-point', '-b', '32'],
  U8: ['-e', 'unsigned-integer', '-b', '8'],
};

/** `text` spoken by espeak-ng as a WAV file in the asked layout, with silence padded around it. */
export function speechWav(
  text: string,
  { rate = 16_000, channels = 1, format = 'S16LE', leadS = 0, trailS = 0 }: SpeechOptions = {},
): Uint8Array {
  const spoken = execFileSync('espeak-ng', ['--stdout', '-s', '150', text]);
  return execFileSync(
    'sox',
    [
      '-V1',
      '-t',
      'wav',
      '-',
      '-t',
      'wav',
      '-r',
      String(rate),
      '-c',
      String(channels),
      ...SOX_ENCODING[format],
      '-',
      'pad',
      String(leadS),
      String(trailS),
    ],
    { input: spoken, maxBuffer: 1 << 26 },
  );
}

/** `text` spoken as an MP3 stream (lame, constant bit rate), the way the ros-drivers capture node sends it. */
export function speechMp3(text: string, options: SpeechOptions = {}): Uint8Array {
  return execFileSync('lame', ['--quiet', '-b', '64', '-', '-'], {
    input: speechWav(text, { ...options, format: 'S16LE' }),
    maxBuffer: 1 << 26,
  });
}

/**
 * `text` as 16 kHz mono floats with `leadS` and `trailS` seconds of silence around it, and the seconds at which the
 * words audibly start and end (espeak-ng adds quiet of its own, so they are found by level, in 10 ms frames).
 */
export function speechPcm(
  text: string,
  leadS: number,
  trailS: number,
): { samples: Float32Array; speechStartS: number; speechEndS: number } {
  const wav = parseWav(speechWav(text, { format: 'F32LE', leadS, trailS }));
  const samples = new Float32Array(wav.data.buffer.slice(wav.data.byteOffset, wav.data.byteOffset + wav.data.byteLength));
  const frame = 160;
  const loud: number[] = [];
  for (let offset = 0; offset + frame <= samples.length; offset += frame) {
    let sum = 0;
    for (let i = offset; i < offset + frame; i++) sum += samples[i]! ** 2;
    if (Math.sqrt(sum / frame) > 0.01) loud.push(offset);
  }
  return { samples, speechStartS: loud[0]! / 16_000, speechEndS: (loud.at(-1)! + frame) / 16_000 };
}

/** A pure tone, for checking what resampling does to a frequency. */
export function tone(frequency: number, seconds: number, rate: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / rate));
}

/** The AudioInfo that describes `wav`. */
export function infoOf(wav: WavAudio, coding_format = 'wave'): AudioInfoMsg {
  return { channels: wav.channels, sample_rate: wav.sampleRate, sample_format: wav.format, bitrate: 0, coding_format };
}

/** `bytes` cut into AudioDataStamped messages of `chunkBytes`, the one starting at byte `offset` stamped `start + stampOf(offset)`. */
export function audioMessages(
  bytes: Uint8Array,
  chunkBytes: number,
  start: RosNanos,
  stampOf: (offset: number) => RosNanos,
): AudioDataStampedMsg[] {
  const messages: AudioDataStampedMsg[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    messages.push({
      header: { stamp: toRosTime(start + stampOf(offset)), frame_id: 'mic' },
      audio: { data: bytes.subarray(offset, Math.min(bytes.length, offset + chunkBytes)) },
    });
  }
  return messages;
}
