import { strict as assert } from 'node:assert';
import { segmentFixture } from '../../test/support/memorizeFixtures.js';
import { WindowFrames, windowFramesPerSegment } from './WindowFrames.js';

describe('window frames', () => {
  it('gives each segment the frames of the earlier segments of its episode inside its window, a few spread over each', async () => {
    const frames = new WindowFrames({ perSegment: 2, windowS: 30 });
    const segments = await Promise.all([0, 1, 2, 3, 4].map((index) => segmentFixture({ index, keyframes: 4 })));
    const seen = [];
    for (const segment of segments) seen.push(frames.add(segment));
    assert.deepEqual(seen[0], [], 'the first segment has no earlier segment');
    // A 30 s window ending with segment 4 holds segments 2 and 3 before it.
    assert.deepEqual(
      seen[4]!.map((s) => s.segmentIndex),
      [2, 3],
    );
    const kept = seen[4]![0]!.frames;
    assert.equal(kept.length, 2);
    // Of keyframes at 1.25, 3.75, 6.25 and 8.75 s, the two spread evenly are the second and the fourth.
    assert.deepEqual(
      kept.map((k) => k.stamp),
      [segments[2]!.keyframes[1]!.stamp, segments[2]!.keyframes[3]!.stamp],
    );

    const nextEpisode = {
      ...(await segmentFixture({ index: 0, keyframes: 4 })),
      episode: 1,
      start: segments[4]!.end,
      end: segments[4]!.end + 10n,
    };
    assert.deepEqual(frames.add(nextEpisode), [], 'a new episode starts without a window');
  });

  it('keeps every keyframe when the segment has no more than asked, and checks the rate against segment.keyframes', async () => {
    const frames = new WindowFrames({ perSegment: 8, windowS: 50 });
    frames.add(await segmentFixture({ index: 0, keyframes: 3 }));
    assert.equal(frames.add(await segmentFixture({ index: 1 }))[0]!.frames.length, 3);
    assert.equal(windowFramesPerSegment({ window_fps: 0, duration_s: 10, keyframes: 8 }), 0);
    assert.equal(windowFramesPerSegment({ window_fps: 2, duration_s: 10, keyframes: 20 }), 20);
    assert.equal(windowFramesPerSegment({ window_fps: 0.01, duration_s: 10, keyframes: 8 }), 1);
    assert.throws(
      () => windowFramesPerSegment({ window_fps: 2, duration_s: 10, keyframes: 8 }),
      /segment\.window_fps = 2: 20 frames per 10 s segment, but segment\.keyframes keeps 8; raise segment\.keyframes to at least 20/,
    );
  });
});
