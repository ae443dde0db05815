import assert from 'node:assert/strict';
import { AudioDecoder } from './AudioDecoder.js';
import { CauseCounter, type Logger } from '../log.js';
import type { AudioStampedMsg } from '../messages.js';
import { BYTES_PER_SAMPLE, parseWav, type SampleFormat } from './wav.js';
import type { PcmChunk } from './PcmChunk.js';
import { audioMessages, infoOf, speechMp3, speechPcm, speechWav } from '../../test/support/speech.js';
import { NANOS_PER_SECOND, toRosTime } from '../time.js';

const START = 1_790_000_000n * NANOS_PER_SECOND;
const TEXT = 'Please bring the red cup from the kitchen.';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

/** Pearson correlation of two equally timed signals over their common length. */
function correlation(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < n; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

function join(chunks: PcmChunk[]): Float32Array {
  return Float32Array.from(chunks.flatMap((c) => Array.from(c.samples)));
}

async function decodeAll(decoder: AudioDecoder, format: SampleFormat, rate: number, channels: number) {
  const wav = parseWav(speechWav(TEXT, { rate, channels, format }));
  decoder.setInfo(infoOf(wav));
  const frame = channels * BYTES_PER_SAMPLE[format];
  const framesPerChunk = Math.round(rate * 0.1);
  const messages = audioMessages(
    wav.data,
    framesPerChunk * frame,
    START,
    (offset) => (BigInt(offset / frame) * NANOS_PER_SECOND) / BigInt(rate),
  );
  const chunks: PcmChunk[] = [];
  for (const message of messages) {
    const chunk = await decoder.decodeAudioData(message);
    if (chunk) chunks.push(chunk);
  }
  return chunks;
}

describe('AudioDecoder', () => {
  const reference = speechPcm(TEXT, 0, 0).samples;

  for (const [format, rate, channels] of [
    ['S16LE', 16_000, 1],
    ['F32LE', 48_000, 2],
    ['S32LE', 44_100, 1],
    ['U8', 22_050, 2],
    ['S16LE', 48_000, 6],
  ] as const) {
    it(`turns ${format} ${channels}-channel ${rate} Hz speech into the same 16 kHz mono speech, continuously stamped`, async () => {
      const counter = new CauseCounter(recordingLogger());
      const chunks = await decodeAll(new AudioDecoder({ counter }), format, rate, channels);
      const samples = join(chunks);
      assert.ok(Math.abs(samples.length - reference.length) < 100, `${samples.length} samples vs ${reference.length}`);
      const expected = format === 'U8' ? 0.97 : 0.99;
      assert.ok(correlation(samples, reference) > expected, `correlation ${correlation(samples, reference)}`);
      assert.equal(chunks[0]!.stamp, START);
      for (let i = 1; i < chunks.length; i++) {
        const previousEnd = chunks[i - 1]!.stamp + (BigInt(chunks[i - 1]!.samples.length) * NANOS_PER_SECOND) / 16_000n;
        assert.ok(Math.abs(Number(chunks[i]!.stamp - previousEnd)) < 1000, `chunk ${i} starts ${chunks[i]!.stamp - previousEnd} ns off`);
      }
      assert.deepEqual(counter.snapshot(), {});
    });
  }

  it('reads a chunk that carries a whole WAV file by its own header', async () => {
    const decoder = new AudioDecoder({ counter: new CauseCounter(recordingLogger()) });
    decoder.setInfo({ channels: 1, sample_rate: 16_000, sample_format: 'S16LE', bitrate: 0, coding_format: 'wave' });
    const chunk = await decoder.decodeAudioData({
      header: { stamp: toRosTime(START), frame_id: '' },
      audio: { data: speechWav(TEXT, { rate: 48_000, channels: 2, format: 'F32LE' }) },
    });
    assert.ok(chunk && correlation(chunk.samples, reference) > 0.99);
  });

  it('restarts the stream where the stamps jump (lost messages), keeping stamps true', async () => {
    const decoder = new AudioDecoder({ counter: new CauseCounter(recordingLogger()) });
    decoder.setInfo({ channels: 1, sample_rate: 16_000, sample_format: 'S16LE', bitrate: 0, coding_format: 'wave' });
    const data = new Uint8Array(3200);
    const first = await decoder.decodeAudioData({ header: { stamp: toRosTime(START), frame_id: '' }, audio: { data } });
    const later = await decoder.decodeAudioData({
      header: { stamp: toRosTime(START + 5n * NANOS_PER_SECOND), frame_id: '' },
      audio: { data },
    });
    assert.equal(first!.stamp, START);
    assert.equal(later!.stamp, START + 5n * NANOS_PER_SECOND);
  });

  it('decodes the MP3 stream the ros-drivers capture node sends by default', async () => {
    const decoder = new AudioDecoder({ counter: new CauseCounter(recordingLogger()) });
    decoder.setInfo({ channels: 1, sample_rate: 48_000, sample_format: 'S16LE', bitrate: 64, coding_format: 'mp3' });
    const mp3 = speechMp3(TEXT, { rate: 48_000 });
    const chunks: PcmChunk[] = [];
    // MP3 frames straddle message boundaries: the decoder must carry partial frames over.
    for (const message of audioMessages(mp3, 777, START, (offset) => BigInt(Math.round((offset / 8000) * 1e9)))) {
      const chunk = await decoder.decodeAudioData(message);
      if (chunk) chunks.push(chunk);
    }
    const samples = join(chunks);
    assert.ok(Math.abs(samples.length - reference.length) < 2000, `${samples.length} samples vs ${reference.length}`);
    // MP3 adds an encoder delay; find it, then the speech must match.
    let best = 0;
    for (let lag = 0; lag < 1200; lag += 4) best = Math.max(best, correlation(samples.subarray(lag), reference));
    assert.ok(best > 0.9, `correlation ${best}`);
  });

  it('decodes mgonzs13 AudioStamped in each PortAudio format', () => {
    const wav = parseWav(speechWav(TEXT, { rate: 16_000, format: 'S16LE' }));
    const int16 = new Int16Array(wav.data.buffer.slice(wav.data.byteOffset, wav.data.byteOffset + wav.data.byteLength));
    const empty = { float32_data: [], int32_data: [], int16_data: [], int8_data: [], uint8_data: [] };
    const message = (
      format: number,
      data: Partial<AudioStampedMsg['audio']['audio_data']>,
      rate = 16_000,
      channels = 1,
    ): AudioStampedMsg => ({
      header: { stamp: toRosTime(START), frame_id: 'mic' },
      audio: { audio_data: { ...empty, ...data }, info: { format, channels, rate, chunk: 512 } },
    });
    const variants: [string, AudioStampedMsg][] = [
      ['int16', message(8, { int16_data: int16 })],
      ['float32', message(1, { float32_data: Float32Array.from(int16, (v) => v / 32768) })],
      ['int32', message(2, { int32_data: Int32Array.from(int16, (v) => v * 65536) })],
      ['int8', message(16, { int8_data: Int8Array.from(int16, (v) => v >> 8) })],
      ['uint8', message(32, { uint8_data: Uint8Array.from(int16, (v) => (v >> 8) + 128) })],
      [
        'float32 stereo',
        message(1, { float32_data: Float32Array.from({ length: int16.length * 2 }, (_, i) => int16[i >> 1]! / 32768) }, 16_000, 2),
      ],
    ];
    for (const [name, msg] of variants) {
      const chunk = new AudioDecoder({ counter: new CauseCounter(recordingLogger()) }).decodeAudioStamped(msg);
      assert.ok(chunk, name);
      assert.equal(chunk.stamp, START);
      assert.ok(correlation(chunk.samples, reference) > 0.97, `${name}: correlation ${correlation(chunk.samples, reference)}`);
    }
    const counter = new CauseCounter(recordingLogger());
    assert.equal(new AudioDecoder({ counter }).decodeAudioStamped(message(4, {})), null);
    assert.equal(counter.get('audio_unsupported_format'), 1);
  });

  it('counts and skips audio before any AudioInfo, odd byte counts, NaN samples and unknown formats, and goes on', async () => {
    const logger = recordingLogger();
    const counter = new CauseCounter(logger);
    const decoder = new AudioDecoder({ counter });
    const chunk = (data: Uint8Array, second: bigint) => ({
      header: { stamp: toRosTime(START + second * NANOS_PER_SECOND), frame_id: '' },
      audio: { data },
    });

    assert.equal(await decoder.decodeAudioData(chunk(new Uint8Array(640), 0n)), null);
    assert.equal(await decoder.decodeAudioData(chunk(new Uint8Array(640), 0n)), null);
    decoder.setInfo({ channels: 2, sample_rate: 16_000, sample_format: 'S16LE', bitrate: 0, coding_format: 'wave' });
    assert.equal(await decoder.decodeAudioData(chunk(new Uint8Array(641), 1n)), null);
    decoder.setInfo({ channels: 1, sample_rate: 16_000, sample_format: 'F32LE', bitrate: 0, coding_format: 'wave' });
    const nan = new Uint8Array(new Float32Array([0, Number.NaN, 0, 0]).buffer);
    assert.equal(await decoder.decodeAudioData(chunk(nan, 2n)), null);
    decoder.setInfo({ channels: 1, sample_rate: 16_000, sample_format: 'S24LE', bitrate: 0, coding_format: 'wave' });
    assert.equal(await decoder.decodeAudioData(chunk(new Uint8Array(600), 3n)), null);
    decoder.setInfo({ channels: 1, sample_rate: 16_000, sample_format: 'S16LE', bitrate: 0, coding_format: 'opus' });
    assert.equal(await decoder.decodeAudioData(chunk(new Uint8Array(600), 4n)), null);
    decoder.setInfo({ channels: 1, sample_rate: 16_000, sample_format: 'S16LE', bitrate: 0, coding_format: 'wave' });
    const good = await decoder.decodeAudioData(chunk(new Uint8Array(3200), 5n));

    assert.ok(good && good.samples.length > 1500);
    assert.deepEqual(counter.snapshot(), {
      audio_no_info: 2,
      audio_bad_length: 1,
      audio_bad_sample: 1,
      audio_unsupported_format: 1,
      audio_unsupported_coding: 1,
    });
    assert.equal(logger.warnings.length, 5);
    assert.match(logger.warnings[0]!, /before any AudioInfo/);
    assert.match(logger.warnings[1]!, /641 bytes is not a whole number of S16LE frames of 2 channel/);
    assert.match(logger.warnings[2]!, /NaN/);
    assert.match(logger.warnings[3]!, /"S24LE" is not supported \(supported: S16LE, S32LE, F32LE, U8\)/);
    assert.match(logger.warnings[4]!, /"opus" is not supported/);
  });

  it('rejects sample rates outside 8–384 kHz or off the standard ratios, and channel counts outside 1–64, before decoding', async () => {
    const logger = recordingLogger();
    const counter = new CauseCounter(logger);
    const decoder = new AudioDecoder({ counter });
    // 10 s of 16 kHz mono: with sample_rate 1 each sample would become 16,000, 2.56 billion samples in all.
    const tenSeconds = { header: { stamp: toRosTime(START), frame_id: '' }, audio: { data: new Uint8Array(2 * 160_000) } };
    const decodeAt = (channels: number, sample_rate: number) => {
      decoder.reset();
      decoder.setInfo({ channels, sample_rate, sample_format: 'S16LE', bitrate: 0, coding_format: 'wave' });
      return decoder.decodeAudioData(tenSeconds);
    };
    for (const rate of [1, 7_999, 384_001, 44_101, 1e9]) assert.equal(await decodeAt(1, rate), null, `${rate} Hz`);
    for (const channels of [0, 65, 1e6]) assert.equal(await decodeAt(channels, 16_000), null, `${channels} channels`);
    assert.deepEqual(counter.snapshot(), { audio_bad_rate: 5, audio_bad_channels: 3 });
    assert.equal(logger.warnings.length, 2, 'each cause is logged once');
    assert.match(logger.warnings[0]!, /sample rate 1 Hz is outside 8000–384000 Hz; skipped/);
    assert.match(logger.warnings[1]!, /0 channel\(s\) is not a usable channel count \(1 to 64\)/);

    // Every standard rate and a 64-channel array pass (the data: whole frames for each).
    for (const rate of [8_000, 11_025, 12_000, 22_050, 44_100, 48_000, 88_200, 96_000, 192_000, 352_800, 384_000]) {
      const chunk = await decodeAt(1, rate);
      assert.ok(chunk && chunk.samples.length > 0, `${rate} Hz is decoded`);
    }
    assert.ok(await decodeAt(64, 16_000), '64 channels are decoded');

    // The mgonzs13 message carries its own rate: the same bounds.
    const stamped: AudioStampedMsg = {
      header: { stamp: toRosTime(START), frame_id: '' },
      audio: {
        audio_data: { float32_data: [], int32_data: [], int16_data: new Int16Array(16_000), int8_data: [], uint8_data: new Uint8Array() },
        info: { format: 8, channels: 1, rate: 1, chunk: 16_000 },
      },
    };
    assert.equal(decoder.decodeAudioStamped(stamped), null);
    assert.equal(counter.get('audio_bad_rate'), 6);
  });
});
