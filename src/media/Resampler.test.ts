import assert from 'node:assert/strict';
import { Resampler } from './Resampler.js';
import { tone } from '../../test/support/speech.js';

/** Frequency of a sine from its upward zero crossings (linear interpolation), skipping the filter's run-in. */
function frequencyOf(samples: Float32Array, rate: number): number {
  const crossings: number[] = [];
  for (let i = 200; i < samples.length - 200; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  return ((crossings.length - 1) * rate) / (crossings.at(-1)! - crossings[0]!);
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (let i = 200; i < samples.length - 200; i++) sum += samples[i]! ** 2;
  return Math.sqrt(sum / (samples.length - 400));
}

describe('Resampler', () => {
  for (const rate of [8000, 22050, 44100, 48000]) {
    it(`keeps a 1 kHz tone at 1 kHz and its level from ${rate} Hz to 16 kHz`, () => {
      const out = new Resampler(rate).process(tone(1000, 1, rate));
      assert.ok(Math.abs(frequencyOf(out, 16_000) - 1000) < 0.5, `frequency ${frequencyOf(out, 16_000)}`);
      assert.ok(Math.abs(rms(out) - 0.5 / Math.SQRT2) < 0.01, `rms ${rms(out)}`);
      // All of a second in, a second out, less the filter's look-ahead (under 3 ms), which the next input completes.
      assert.ok(out.length <= 16_000 && out.length > 15_950, `length ${out.length}`);
    });
  }

  it('gives the same samples whatever the chunking, so chunk boundaries leave no clicks', () => {
    const input = tone(440, 0.5, 44_100);
    const whole = new Resampler(44_100).process(input);
    const chunked = new Resampler(44_100);
    const parts: Float32Array[] = [];
    const sizes = [1, 7, 441, 1000, 3, 2048, 9];
    for (let offset = 0, i = 0; offset < input.length; i++) {
      const size = sizes[i % sizes.length]!;
      parts.push(chunked.process(input.subarray(offset, offset + size)));
      offset += size;
    }
    const joined = Float32Array.from(parts.flatMap((p) => Array.from(p)));
    assert.equal(joined.length, whole.length);
    for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(joined[i]! - whole[i]!) < 1e-6, `sample ${i}`);
  });

  it('removes content above 8 kHz instead of folding it into the speech band', () => {
    const out = new Resampler(48_000).process(tone(12_000, 0.5, 48_000));
    assert.ok(rms(out) < 0.005, `aliased energy ${rms(out)}`);
  });

  it('passes 16 kHz input through unchanged, with output positions following the input', () => {
    const input = tone(440, 0.1, 16_000);
    const resampler = new Resampler(16_000);
    const out = resampler.process(input.subarray(0, 700));
    assert.deepEqual(out, input.subarray(0, 700));
    assert.notEqual(out.buffer, input.buffer, 'a copy, so the caller may reuse its buffer');
    assert.deepEqual(resampler.process(input.subarray(700)), input.subarray(700));
    assert.equal(resampler.nextOutputPosition, input.length);
  });

  it('rejects a rate that is not a positive integer', () => {
    assert.throws(() => new Resampler(0), /rates must be positive integers/);
  });
});
