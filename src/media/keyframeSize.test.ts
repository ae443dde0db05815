import assert from 'node:assert/strict';
import { keyframeSize } from './keyframeSize.js';

describe('keyframeSize', () => {
  it('scales VGA to the configured long side with sides in multiples of 32', () => {
    assert.deepEqual(keyframeSize(640, 480, 448), { width: 448, height: 352 });
    assert.deepEqual(keyframeSize(1920, 1080, 896), { width: 896, height: 512 });
  });

  it('keeps portrait frames portrait', () => {
    assert.deepEqual(keyframeSize(480, 640, 448), { width: 352, height: 448 });
  });

  it('rounds a long side that is not a multiple of 32 down', () => {
    assert.deepEqual(keyframeSize(1280, 720, 500), { width: 480, height: 256 });
  });

  it('keeps a frame that already fits as it is', () => {
    assert.deepEqual(keyframeSize(416, 320, 448), { width: 416, height: 320 });
  });

  it('never enlarges a side beyond the source, shortening the long side to keep the aspect', () => {
    assert.deepEqual(keyframeSize(640, 470, 1024), { width: 608, height: 448 });
    assert.deepEqual(keyframeSize(100, 60, 448), { width: 64, height: 32 });
  });

  it('enlarges only what is below 32', () => {
    assert.deepEqual(keyframeSize(20, 10, 448), { width: 32, height: 32 });
    assert.deepEqual(keyframeSize(640, 10, 448), { width: 448, height: 32 });
  });
});
