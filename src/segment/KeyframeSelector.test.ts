import assert from 'node:assert/strict';
import { KeyframeSelector } from './KeyframeSelector.js';

const s = (seconds: number) => BigInt(Math.round(seconds * 1e9));

describe('KeyframeSelector', () => {
  it('gives sparse frames once even when several targets share them', () => {
    const selector = new KeyframeSelector<string>(s(0), s(10), 8);
    for (const t of [0, 2, 4, 6, 8]) selector.offer(s(t), `frame ${t}`);
    const released = selector.settle(s(10));
    assert.deepEqual(
      released.map((c) => c.frame),
      ['frame 0', 'frame 2', 'frame 4', 'frame 6', 'frame 8'],
    );
    assert.deepEqual(selector.settle(s(11)), [], 'nothing is released twice');
  });

  it('settles a target only when no frame at or after the horizon can be nearer', () => {
    const selector = new KeyframeSelector<string>(s(0), s(10), 1); // one target, at 5 s
    selector.offer(s(4), 'early');
    assert.deepEqual(selector.settle(s(5.9)), [], 'a frame in [5.9, 6) would be nearer');
    assert.deepEqual(
      selector.settle(s(6)).map((c) => c.frame),
      ['early'],
      'a frame at 6 s would only tie',
    );
  });

  it('keeps the earlier of two equally near frames', () => {
    const selector = new KeyframeSelector<string>(s(0), s(10), 1);
    selector.offer(s(6), 'after');
    selector.offer(s(4), 'before');
    assert.deepEqual(
      selector.settle(s(10)).map((c) => c.frame),
      ['before'],
    );
  });

  it('lets a target take a later frame after its pending one was discarded', () => {
    const selector = new KeyframeSelector<string>(s(0), s(10), 1);
    selector.offer(s(4.9), 'discarded');
    const [pending] = selector.pending();
    selector.discard(pending!);
    assert.deepEqual(selector.pending(), []);
    selector.offer(s(5.5), 'later');
    assert.deepEqual(
      selector.settle(s(10)).map((c) => c.frame),
      ['later'],
    );
  });
});
