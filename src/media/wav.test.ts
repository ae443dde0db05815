import assert from 'node:assert/strict';
import { encodeWav, isWav, parseWav } from './wav.js';

describe('wav', () => {
  it('encodes mono floats as 16-bit PCM that reads back to the same samples, clipping out-of-range values', () => {
    const samples = Float32Array.from([0, 0.5, -0.5, 1, -1, 2, -3]);
    const wav = parseWav(encodeWav(samples, 16_000));
    assert.deepEqual([wav.sampleRate, wav.channels, wav.format, wav.data.length], [16_000, 1, 'S16LE', 14]);
    const view = new DataView(wav.data.buffer, wav.data.byteOffset, wav.data.byteLength);
    assert.deepEqual(
      Array.from({ length: 7 }, (_, i) => view.getInt16(i * 2, true)),
      [0, 16384, -16383, 32767, -32767, 32767, -32767],
    );
  });

  it('takes everything after the header when a streaming writer left the data size unknown', () => {
    const bytes = encodeWav(new Float32Array(10), 8000);
    new DataView(bytes.buffer).setUint32(40, 0xffffffff, true);
    assert.equal(parseWav(bytes).data.length, 20);
  });

  it('says why a file cannot be read', () => {
    assert.equal(isWav(new Uint8Array([1, 2, 3])), false);
    assert.throws(() => parseWav(new TextEncoder().encode('RIFF\0\0\0\0WAVEdata\0\0\0\0')), /data chunk before fmt chunk/);
    const adpcm = encodeWav(new Float32Array(4), 8000);
    new DataView(adpcm.buffer).setUint16(20, 2, true);
    assert.throws(() => parseWav(adpcm), /unsupported sample layout \(format tag 2, 16 bits\)/);
  });
});
