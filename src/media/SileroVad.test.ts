import assert from 'node:assert/strict';
import { SileroVad } from './SileroVad.js';
import { speechPcm } from '../../test/support/speech.js';

describe('SileroVad', () => {
  let vad: SileroVad;
  before(async () => {
    vad = await SileroVad.load();
  });
  after(() => vad.release());

  it('hears speech in spoken words and none in silence', async () => {
    const { samples, speechStartS, speechEndS } = speechPcm('The visitor left a parcel by the front door.', 1, 1);
    const speech: number[] = [];
    const silence: number[] = [];
    for (let offset = 0; offset + SileroVad.WINDOW <= samples.length; offset += SileroVad.WINDOW) {
      const p = await vad.probability(samples.slice(offset, offset + SileroVad.WINDOW));
      const t = offset / 16_000;
      if (t > speechStartS + 0.3 && t < speechEndS - 0.3) speech.push(p);
      if (t < speechStartS - 0.3) silence.push(p);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(speech) > 0.6, `speech ${mean(speech)}`);
    assert.ok(Math.max(...silence) < 0.2, `silence ${Math.max(...silence)}`);
  });

  it('says what is wrong with a window of the wrong length or a missing model file', async () => {
    await assert.rejects(vad.probability(new Float32Array(480)), /a window has 512 samples, got 480/);
    await assert.rejects(SileroVad.load('/nonexistent/silero.onnx'), /cannot load the VAD model \/nonexistent\/silero.onnx/);
  });
});
