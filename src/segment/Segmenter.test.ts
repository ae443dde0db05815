import assert from 'node:assert/strict';
import { Segmenter, type SegmenterOptions } from './Segmenter.js';
import type { Segment } from './Segment.js';
import type { SpeechTrack } from './SpeechTrack.js';
import type { PcmChunk } from '../media/PcmChunk.js';
import { VadSpeechTrack } from './VadSpeechTrack.js';
import { ImageConverter, type CameraFrame, type FrameConverter } from '../media/ImageConverter.js';
import { SileroVad } from '../media/SileroVad.js';
import { CauseCounter, type Logger } from '../log.js';
import { fromRosTime, secondsToNanos, type RosNanos } from '../time.js';
import type { ImageMsg } from '../messages.js';
import { GREEN, at, compressedImage, header, leftRight, poseStamped, rawImage, RED, EPOCH } from '../../test/support/frames.js';
import { speechPcm } from '../../test/support/speech.js';

/** The real converter, counting what it is asked to convert. */
class CountingConverter implements FrameConverter {
  readonly converted: RosNanos[] = [];
  readonly #inner = new ImageConverter({ long_side: 448, jpeg_quality: 80 });
  check(frame: CameraFrame): void {
    this.#inner.check(frame);
  }
  convert(frame: CameraFrame) {
    this.converted.push(fromRosTime(frame.msg.header.stamp));
    return this.#inner.convert(frame);
  }
}

const DEFAULTS = { duration_s: 10, keyframes: 8, reorder_tolerance_s: 0.5, max_pending_frames: 64 };

function harness(segment: Partial<typeof DEFAULTS> = {}, options: Partial<SegmenterOptions> = {}) {
  const segments: Segment[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  const logger: Logger = { debug: () => {}, info: (m) => infos.push(m), warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const converter = new CountingConverter();
  const segmenter = new Segmenter({
    segment: { ...DEFAULTS, ...segment },
    converter,
    logger,
    robotId: 'r1',
    onSegment: (s) => {
      segments.push(s);
    },
    ...options,
  });
  return { segmenter, segments, warnings, infos, converter };
}

const small = rawImage({ encoding: 'rgb8', width: 64, height: 64, paint: leftRight(RED, GREEN) });
/** A small frame stamped `seconds` after the test epoch (frames share their pixels). */
function frame(seconds: number): ImageMsg {
  return { ...small, header: header(at(seconds)) };
}

/** Seconds of frames at `fps` in [from, to). */
function times(from: number, to: number, fps = 30): number[] {
  const n = Math.round((to - from) * fps);
  return Array.from({ length: n }, (_, k) => from + k / fps);
}

/** What the keyframes of [start, start + 10 s) must be: for each of 8 targets the nearest frame, earlier on ties. */
function nearestToTargets(startS: number, frameTimes: number[], count = 8): RosNanos[] {
  const start = at(startS);
  const stamps = frameTimes.map(at).filter((s) => s >= start && s < start + secondsToNanos(10));
  const chosen = new Set<RosNanos>();
  for (let j = 0; j < count; j++) {
    const target = start + ((2n * BigInt(j) + 1n) * secondsToNanos(10)) / BigInt(2 * count);
    const d = (s: RosNanos) => (s > target ? s - target : target - s);
    chosen.add(stamps.reduce((best, s) => (d(s) < d(best) ? s : best)));
  }
  return [...chosen].sort((a, b) => (a < b ? -1 : 1));
}

const stampsOf = (s: Segment) => s.keyframes.map((k) => k.stamp);

describe('Segmenter', () => {
  it('cuts 10 s segments aligned to the first stamp and keeps the 8 frames nearest to evenly spread targets', async () => {
    const { segmenter, segments, converter } = harness();
    const frames = times(0, 20.5);
    for (const t of frames) await segmenter.pushFrame(frame(t), 'image');
    assert.equal(segments.length, 1, 'the first segment closes once a frame passes its end + tolerance');
    await segmenter.flush();
    assert.deepEqual(
      segments.map((s) => [s.robotId, s.episode, s.index, s.start, s.end]),
      [
        ['r1', 0, 0, at(0), at(10)],
        ['r1', 0, 1, at(10), at(20)],
        ['r1', 0, 2, at(20), at(30)],
      ],
    );
    assert.deepEqual(stampsOf(segments[0]!), nearestToTargets(0, frames));
    assert.deepEqual(stampsOf(segments[1]!), nearestToTargets(10, frames));
    assert.equal(segments[2]!.keyframes.length, 1, 'the last half second holds one frame nearest to every target');
    for (const keyframe of segments[0]!.keyframes) assert.deepEqual([keyframe.width, keyframe.height, keyframe.jpeg[0]], [64, 64, 0xff]);
    const sent = segments.flatMap(stampsOf);
    assert.deepEqual(
      [...converter.converted].sort((a, b) => (a < b ? -1 : 1)),
      sent,
      'only frames that are sent are converted',
    );
  });

  it('converts each keyframe as soon as no later frame can beat it, not all at the close', async () => {
    const { segmenter, converter } = harness();
    for (const t of times(0, 5)) await segmenter.pushFrame(frame(t), 'image');
    // Targets at 0.625, 1.875, 3.125 and 4.375 s; with 0.5 s tolerance the horizon is 4.47 s.
    assert.equal(converter.converted.length, 4);
  });

  it('places frames that arrive out of order within the tolerance as if they had come in order', async () => {
    const inOrder = harness();
    const shuffled = harness();
    const frames = times(0, 20);
    for (const t of frames) await inOrder.segmenter.pushFrame(frame(t), 'image');
    for (let i = 0; i < frames.length; i += 9) {
      for (const t of frames.slice(i, i + 9).reverse()) await shuffled.segmenter.pushFrame(frame(t), 'image');
    }
    await inOrder.segmenter.flush();
    await shuffled.segmenter.flush();
    assert.deepEqual(shuffled.segments.map(stampsOf), inOrder.segments.map(stampsOf));
    assert.deepEqual(shuffled.segmenter.dropped, {});
  });

  it('drops and counts frames later than the tolerance, logging the cause once, and carries on', async () => {
    const { segmenter, segments, warnings } = harness();
    for (const t of times(0, 12)) await segmenter.pushFrame(frame(t), 'image');
    await segmenter.pushFrame(frame(9), 'image');
    await segmenter.pushFrame(frame(12.04), 'image');
    await segmenter.pushFrame(frame(11.2), 'image');
    for (const t of times(12.1, 14)) await segmenter.pushFrame(frame(t), 'image');
    await segmenter.flush();
    assert.deepEqual(
      segments.map((s) => [s.episode, s.index]),
      [
        [0, 0],
        [0, 1],
      ],
      'no new episode for stragglers',
    );
    assert.deepEqual(segments[1]!.dropped, { late: 2 });
    assert.deepEqual(segmenter.dropped, { late: 2 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /camera frame at 2026-01-01T00:00:09.000Z arrived 2.967 s behind .*reorder_tolerance_s = 0.5/);
  });

  it('starts a new episode when the clock jumps back, dropping what was still in flight from the old one', async () => {
    const { segmenter, segments, infos } = harness({}, { firstEpisode: 7 });
    for (const t of times(0, 15)) {
      await segmenter.pushFrame(frame(t), 'image');
      if (Math.round(t * 30) % 10 === 0) await segmenter.pushPose(poseStamped(at(t), t, 0, 0));
    }
    assert.equal(segmenter.episode, 7);
    for (const t of times(0.5, 12).map((t) => Math.round(t * 30) / 30)) {
      await segmenter.pushFrame(frame(t), 'image');
      if (t === 0.6) await segmenter.pushPose(poseStamped(at(14.9), 14.9, 0, 0)); // sent before the reset
    }
    assert.equal(segmenter.episode, 8);
    await segmenter.flush();
    assert.deepEqual(
      segments.map((s) => [s.episode, s.index, s.start, s.keyframes.length]),
      [
        [7, 0, at(0), 8],
        [7, 1, at(10), 5],
        [8, 0, at(0.5), 8],
        [8, 1, at(10.5), 2],
      ],
    );
    assert.equal(segments[2]!.poses.length, 0, 'the old pose is not placed in the new episode');
    assert.deepEqual(segments[2]!.dropped, { late: 1 });
    assert.match(infos.join('\n'), /camera time jumped back .* episode 7 ends, episode 8 starts/);
    assert.equal(segmenter.episode, 9, 'flush ends the episode');
  });

  it('does not emit segments of a gap, and skips long gaps without stepping through them', async () => {
    const { segmenter, segments } = harness();
    for (const t of times(0, 3)) await segmenter.pushFrame(frame(t), 'image');
    await segmenter.pushPose(poseStamped(at(25), 1, 2, 0));
    for (const t of times(3600 * 24, 3600 * 24 + 3)) await segmenter.pushFrame(frame(t), 'image');
    await segmenter.flush();
    assert.deepEqual(
      segments.map((s) => s.index),
      [0, 8640],
    );
  });

  it('keeps the poses of each segment in stamp order with their heading', async () => {
    const { segmenter, segments } = harness();
    for (const t of times(0, 12)) {
      await segmenter.pushFrame(frame(t), 'image');
      if (Math.round(t * 30) % 15 === 0) await segmenter.pushPose(poseStamped(at(t), t, -t, t / 10));
    }
    await segmenter.pushPose(poseStamped(at(11.8), 0, 0, 0)); // out of order, within the tolerance
    const broken = poseStamped(at(11.95), 0, 0, 0);
    broken.pose.orientation = { x: 0, y: 0, z: 0, w: 0 };
    await segmenter.pushPose(broken);
    await segmenter.flush();
    const [first, second] = segments;
    assert.equal(first!.poses.length, 20);
    assert.ok(first!.poses.every((p) => p.stamp >= first!.start && p.stamp < first!.end));
    assert.deepEqual([first!.poses[3]!.x, first!.poses[3]!.y, first!.poses[3]!.frameId], [1.5, -1.5, 'map']);
    assert.ok(Math.abs(first!.poses[3]!.yaw - 0.15) < 1e-9);
    const stamps = second!.poses.map((p) => p.stamp);
    assert.deepEqual(
      stamps,
      [...stamps].sort((a, b) => (a < b ? -1 : 1)),
    );
    assert.equal(stamps.length, 5);
    assert.equal(second!.dropped.invalid_pose, 1);
  });

  it('accepts Pose values as well as pose messages', async () => {
    const { segmenter, segments } = harness();
    await segmenter.pushFrame(frame(0), 'image');
    await segmenter.pushPose({ stamp: at(1), frameId: 'map', x: 1, y: 2, z: 0, yaw: 0.5 });
    await segmenter.flush();
    assert.deepEqual(segments[0]!.poses, [{ stamp: at(1), frameId: 'map', x: 1, y: 2, z: 0, yaw: 0.5 }]);
  });

  it('counts rejected and corrupt frames by cause, logs each cause once, and keeps segmenting', async () => {
    const { segmenter, segments, warnings } = harness();
    const depth = rawImage({ encoding: '16UC1', width: 8, height: 8, paint: leftRight(RED, GREEN) });
    const jpeg = await compressedImage({ codec: 'jpeg', width: 640, height: 480, paint: leftRight(RED, GREEN) });
    const corrupt = { ...jpeg, data: jpeg.data.subarray(0, 600) };
    for (const t of times(0, 12)) {
      const n = Math.round(t * 30);
      if (n % 3 === 1) await segmenter.pushFrame({ ...depth, header: header(at(t)) }, 'image');
      else if (n === 56)
        await segmenter.pushFrame({ ...corrupt, header: header(at(t)) }, 'compressed'); // nearest to 1.875 s
      else await segmenter.pushFrame(frame(t), 'image');
    }
    await segmenter.flush();
    assert.equal(segments.length, 2);
    assert.equal(segments[0]!.keyframes.length, 7, 'the corrupt frame was chosen and could not be converted');
    // Rejections count in the segment open when they happened: the first closes 0.5 s after its end.
    assert.deepEqual(segments[0]!.dropped, { unsupported_encoding: 105, corrupt_image: 1 });
    assert.deepEqual(segmenter.dropped, { unsupported_encoding: 120, corrupt_image: 1 });
    assert.equal(warnings.length, 2);
    assert.match(warnings.join('\n'), /encoding "16UC1" \(depth, Bayer or untyped matrix data\) is not converted/);
    assert.match(warnings.join('\n'), /cannot be decoded/);
  });

  it('bounds the frames it holds unconverted, dropping the oldest', async () => {
    const { segmenter, segments } = harness({ reorder_tolerance_s: 5, max_pending_frames: 2 });
    for (const t of times(0, 16)) await segmenter.pushFrame(frame(t), 'image');
    await segmenter.flush();
    assert.ok((segmenter.dropped.buffer_full ?? 0) > 0);
    assert.ok(segments[0]!.keyframes.length > 0);
    const unbounded = harness({ reorder_tolerance_s: 5 });
    for (const t of times(0, 16)) await unbounded.segmenter.pushFrame(frame(t), 'image');
    await unbounded.segmenter.flush();
    assert.deepEqual(unbounded.segmenter.dropped, {});
  });

  describe('with a speech track', () => {
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    // A VAD carries state from window to window: each track gets its own.
    const track = async () =>
      new VadSpeechTrack({
        vad: await SileroVad.load(),
        threshold: 0.5,
        minSpeechS: 0.25,
        hangoverS: 0.3,
        paddingS: 0.2,
        counter: new CauseCounter(quiet),
      });
    const { samples, speechStartS } = speechPcm('where did I leave my keys', 0.5, 0.5);
    /** 6 s of silence, the words, 5 s of silence, in 0.1 s chunks. */
    const chunks = (() => {
      const audio = new Float32Array(16_000 * 6 + samples.length + 16_000 * 5);
      audio.set(samples, 16_000 * 6);
      return Array.from({ length: Math.floor(audio.length / 1_600) }, (_, k) => ({
        stamp: EPOCH + (BigInt(k * 1_600) * 1_000_000_000n) / 16_000n,
        samples: audio.subarray(k * 1_600, (k + 1) * 1_600),
      }));
    })();

    it('emits segments with speech and no frames, and leaves out silent ones', async () => {
      const { segmenter, segments } = harness({ duration_s: 5 }, { speech: await track() });
      for (const chunk of chunks) await segmenter.pushAudio(chunk);
      await segmenter.flush();
      assert.equal(segments[0]!.index, 1, 'the silent first segment is not emitted');
      const span = segments[0]!.speech[0]!;
      assert.ok(Math.abs(Number(span.start - at(6 + speechStartS)) / 1e9) < 0.3, `speech starts at ${span.start}`);
      assert.deepEqual(
        segments.flatMap((s) => s.keyframes),
        [],
      );
    });

    it('gives the speech track audio in stamp order when chunks arrive out of order', async () => {
      const inOrder = harness({ duration_s: 5 }, { speech: await track() });
      const swapped = harness({ duration_s: 5 }, { speech: await track() });
      for (const chunk of chunks) await inOrder.segmenter.pushAudio(chunk);
      for (let k = 0; k < chunks.length; k += 3) {
        for (const chunk of chunks.slice(k, k + 3).reverse()) await swapped.segmenter.pushAudio(chunk);
      }
      await inOrder.segmenter.flush();
      await swapped.segmenter.flush();
      assert.ok(inOrder.segments.length > 0);
      assert.deepEqual(
        swapped.segments.map((s) => s.speech),
        inOrder.segments.map((s) => s.speech),
      );
    });
  });

  it('bounds the audio one segment takes: overlapping chunks beyond 1.5 × its duration are dropped and counted once', async () => {
    /** A speech track that keeps what it is given. */
    const given: PcmChunk[] = [];
    const recording: SpeechTrack = {
      push: async (chunk) => void given.push(chunk),
      take: async () => ({ speech: [], transcript: [] }),
      reset: () => {},
      abort: () => {},
    };
    const second = (k: number) => ({ stamp: at(k / 4), samples: new Float32Array(16_000) });
    // Chunks of 1 s of samples stamped 0.25 s apart: four times more audio than time, as a rate declared at a
    // quarter of the real one gives. The real-time stream of the control has none to drop.
    const overlapping = harness({}, { speech: recording });
    for (let k = 0; k < 80; k++) await overlapping.segmenter.pushAudio(second(k));
    await overlapping.segmenter.flush();
    const inFirst = given.filter((c) => c.stamp < at(10)).reduce((n, c) => n + c.samples.length, 0);
    assert.ok(inFirst <= 1.5 * 10 * 16_000, `the first segment took ${inFirst / 16_000} s of audio`);
    assert.ok(inFirst >= 10 * 16_000, 'and no less than its duration');
    assert.ok((overlapping.segmenter.dropped.audio_excess ?? 0) > 40);
    assert.equal(overlapping.warnings.filter((w) => /audio_excess/.test(w)).length, 1);
    assert.match(overlapping.warnings[0]!, /more than 1\.5 × its duration of audio: chunks overlap/);

    given.length = 0;
    const realTime = harness({}, { speech: recording });
    for (let k = 0; k < 20; k++) await realTime.segmenter.pushAudio(second(4 * k));
    await realTime.segmenter.flush();
    assert.deepEqual(realTime.segmenter.dropped, {});
    assert.equal(given.length, 20);
  });

  it('drops unstamped messages, which would otherwise hold one segment open forever', async () => {
    const { segmenter, segments } = harness();
    await segmenter.pushFrame({ ...small, header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'camera' } }, 'image');
    for (const t of times(0, 1)) await segmenter.pushFrame(frame(t), 'image');
    await segmenter.flush();
    assert.deepEqual(segments[0]!.dropped, { unstamped: 1 });
  });

  it('rejects the push that closed a segment onSegment failed on, and goes on with the next', async () => {
    let calls = 0;
    const segments: Segment[] = [];
    const failing = new Segmenter({
      segment: DEFAULTS,
      converter: new CountingConverter(),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      robotId: 'r1',
      onSegment: (s) => {
        calls += 1;
        if (s.index === 0) throw new Error('store is full');
        segments.push(s);
      },
    });
    const results = [];
    for (const t of times(0, 21))
      results.push(
        await failing.pushFrame(frame(t), 'image').then(
          () => 'ok',
          (e: Error) => e.message,
        ),
      );
    await failing.flush();
    assert.deepEqual(
      results.filter((r) => r !== 'ok'),
      ['store is full'],
    );
    assert.equal(calls, 3);
    assert.deepEqual(
      segments.map((s) => s.index),
      [1, 2],
    );
  });
});
