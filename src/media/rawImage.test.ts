import assert from 'node:assert/strict';
import { packPixels } from './rawImage.js';
import { rawImage, solid, RED } from '../../test/support/frames.js';

describe('packPixels', () => {
  it('unpacks a large YUV frame in slices, letting other callbacks run in between', async () => {
    const msg = rawImage({ encoding: 'yuyv', width: 1920, height: 1080, paint: solid(RED) });
    let turns = 0;
    let done = false;
    const tick = () => {
      turns += 1;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const pixels = await packPixels(msg, msg.data, true);
    done = true;
    assert.deepEqual([pixels.width, pixels.height, pixels.channels], [960, 540, 3]);
    assert.ok(turns >= 10, `only ${turns} turns of the event loop while 4 MB were unpacked`);
  });

  it('passes packed 8-bit data on without copying', async () => {
    const msg = rawImage({ encoding: 'rgb8', width: 32, height: 8, paint: solid(RED) });
    const pixels = await packPixels(msg, msg.data, false);
    assert.equal(pixels.data.buffer, msg.data.buffer);
  });
});
