import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader, McapWriter, type McapWriterOptions } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import zstd from '@foxglove/wasm-zstd';
import { FileReadable } from './FileReadable.js';
import { FileWritable } from './FileWritable.js';
import { MessageDefinitions } from './MessageDefinitions.js';
import { McapRecording, RecordingError } from './McapRecording.js';
import { matchSensorTopics, recordedSensorMessages } from './RecordingSensors.js';
import { configSchema } from '../config/schema.js';
import { fromRosTime, NANOS_PER_SECOND } from '../time.js';
import { damagedCopy, writeCompressedCopy, writeRecording, type RecordingScript } from '../../test/support/recording.js';
import type { SensorMessage } from '../pipeline/SensorMessage.js';

describe('McapRecording', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-bag-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function readAll(script: RecordingScript): Promise<SensorMessage[]> {
    const recording = await McapRecording.open(script.path);
    try {
      const topics = matchSensorTopics(recording, configSchema.parse(script.config));
      const out: SensorMessage[] = [];
      for await (const m of recordedSensorMessages(recording, topics)) out.push(m);
      return out;
    } finally {
      await recording.close();
    }
  }

  it('streams camera, audio and pose messages of a rosbag2 recording in time order', async () => {
    const script = await writeRecording({ path: join(dir, 'a.mcap'), durationS: 3, fps: 5 });
    const messages = await readAll(script);
    const kinds = new Map<string, number>();
    for (const m of messages) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(kinds), { image: 15, audio_info: 1, audio_data_stamped: 30, pose_stamped: 30 });
    const image = messages.find((m) => m.kind === 'image')!.message;
    assert.equal(image.encoding, 'rgb8');
    assert.equal(image.data.length, 640 * 480 * 3);
    assert.equal(fromRosTime(image.header.stamp), script.start);
    const stamps = messages.map((m) => fromRosTime(('header' in m.message ? m.message.header : { stamp: { sec: 0, nanosec: 0 } }).stamp));
    const stamped = stamps.filter((s) => s !== 0n);
    assert.deepEqual(
      stamped,
      [...stamped].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    assert.ok(stamped.at(-1)! < script.start + 3n * NANOS_PER_SECOND);
  });

  it('reads JPEG frames, mgonzs13 AudioStamped and Odometry', async () => {
    const script = await writeRecording({
      path: join(dir, 'b.mcap'),
      durationS: 1,
      fps: 4,
      camera: 'compressed',
      audio: 'audio_stamped',
      sampleRate: 48_000,
      pose: 'odometry',
    });
    const messages = await readAll(script);
    const frame = messages.find((m) => m.kind === 'compressed_image');
    assert.ok(frame && frame.kind === 'compressed_image');
    assert.deepEqual([...frame.message.data.slice(0, 2)], [0xff, 0xd8]);
    const audio = messages.find((m) => m.kind === 'audio_stamped');
    assert.ok(audio && audio.kind === 'audio_stamped');
    assert.equal(audio.message.audio.info.rate, 48_000);
    assert.equal(audio.message.audio.audio_data.int16_data.length, 4800);
    assert.ok(messages.some((m) => m.kind === 'odometry'));
  });

  /** Poses at x = `xs` seconds on /pose, two messages per chunk, each chunk passed through `compressChunk`. */
  async function writePoses(name: string, xs: number[], compressChunk?: McapWriterOptions['compressChunk']): Promise<string> {
    const path = join(dir, name);
    const file = await FileWritable.create(path);
    const mcap = new McapWriter({ writable: file, chunkSize: 64, ...(compressChunk ? { compressChunk } : {}) });
    await mcap.start({ profile: 'ros2', library: 'test' });
    const text = new MessageDefinitions().schemaText('geometry_msgs/msg/PoseStamped');
    const schemaId = await mcap.registerSchema({
      name: 'geometry_msgs/msg/PoseStamped',
      encoding: 'ros2msg',
      data: new TextEncoder().encode(text),
    });
    const channelId = await mcap.registerChannel({ topic: '/pose', schemaId, messageEncoding: 'cdr', metadata: new Map() });
    const writer = new MessageWriter(parse(text, { ros2: true }));
    const pose = (x: number) =>
      writer.writeMessage({
        header: { stamp: { sec: x, nanosec: 0 }, frame_id: 'map' },
        pose: { position: { x, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
      });
    for (const [i, x] of xs.entries())
      await mcap.addMessage({ channelId, sequence: i, logTime: BigInt(x) * NANOS_PER_SECOND, publishTime: 0n, data: pose(x) });
    await mcap.end();
    await file.close();
    return path;
  }

  async function poseXs(path: string): Promise<number[]> {
    const recording = await McapRecording.open(path);
    try {
      const xs: number[] = [];
      for await (const m of recording.messages({ topics: ['/pose'] }))
        xs.push((m.message as { pose: { position: { x: number } } }).pose.position.x);
      return xs;
    } finally {
      await recording.close();
    }
  }

  for (const compression of ['none', 'zstd'] as const) {
    it(`yields messages in log-time order even when chunks overlap in time (${compression} chunks)`, async () => {
      await zstd.isLoaded;
      const compressChunk =
        compression === 'zstd' ? (data: Uint8Array) => ({ compression, compressedData: zstd.compress(data) }) : undefined;
      // Two messages per chunk: [0 s, 10 s] then [5 s, 15 s].
      assert.deepEqual(await poseXs(await writePoses(`overlap-${compression}.mcap`, [0, 10, 5, 15], compressChunk)), [0, 5, 10, 15]);
    });
  }

  it('reads zstd and lz4 chunks message for message as the same recording with uncompressed chunks', async function () {
    this.timeout(20_000);
    const plain = await writeRecording({ path: join(dir, 'plain.mcap'), durationS: 2, fps: 5 });
    const expected = await readAll(plain);
    assert.equal(expected.length, 10 + 1 + 20 + 20);
    for (const compression of ['zstd', 'lz4'] as const) {
      const path = join(dir, `${compression}.mcap`);
      await writeCompressedCopy(plain.path, path, compression);
      assert.ok(statSync(path).size < statSync(plain.path).size / 4, `${compression} chunks are compressed`);
      const messages = await readAll({ ...plain, path });
      assert.deepEqual(
        messages.map((m) => m.kind),
        expected.map((m) => m.kind),
        compression,
      );
      assert.deepEqual(messages, expected, compression);
    }
  });

  it('names a chunk compression it cannot decompress, and a compressed chunk that is damaged', async () => {
    const brotli = await writePoses('brotli.mcap', [0, 1], (data) => ({ compression: 'brotli', compressedData: data }));
    await assert.rejects(
      McapRecording.open(brotli),
      (e: unknown) =>
        e instanceof RecordingError &&
        /brotli\.mcap: chunks are compressed with brotli, which taskmem cannot decompress \(it reads zstd, lz4 and uncompressed chunks\)/.test(
          e.message,
        ),
    );
    // Chunks labelled zstd whose data are not zstd: in order (read chunk by chunk) and overlapping (general reader).
    const notZstd = (data: Uint8Array) => ({ compression: 'zstd', compressedData: data });
    await assert.rejects(
      poseXs(await writePoses('damaged.mcap', [0, 1, 2, 3], notZstd)),
      (e: unknown) =>
        e instanceof RecordingError &&
        /damaged\.mcap: chunk 1 of 4 at offset \d+: zstd data do not decompress .*\(the file is damaged\)/.test(e.message),
    );
    await assert.rejects(
      poseXs(await writePoses('damaged-overlap.mcap', [0, 10, 5, 15], notZstd)),
      (e: unknown) =>
        e instanceof RecordingError &&
        /damaged-overlap\.mcap: chunk 1 of 4 at offset \d+: zstd data do not decompress .*\(the file is damaged\)/.test(e.message),
    );
  });

  describe('CRCs', () => {
    let script: RecordingScript;
    before(async () => {
      script = await writeRecording({ path: join(dir, 'clean.mcap'), durationS: 6, fps: 2, audio: 'none', pose: 'none' });
    });

    /** Frames read from `path` with these options, or the error that stopped the reading and the frames before it. */
    async function framesOf(path: string, options: { ignoreCrc?: boolean } = {}) {
      const warnings: string[] = [];
      const recording = await McapRecording.open(path, {
        ...options,
        logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
      });
      const frames: Uint8Array[] = [];
      try {
        const topics = matchSensorTopics(recording, configSchema.parse(script.config));
        for await (const m of recordedSensorMessages(recording, topics))
          if (m.kind === 'image') frames.push(Uint8Array.from(m.message.data));
        return { frames, warnings, error: null };
      } catch (error) {
        return { frames, warnings, error: error as Error };
      } finally {
        await recording.close();
      }
    }

    it('reads a clean recording, whose chunks and data section have CRCs, without complaint', async () => {
      const clean = await framesOf(script.path);
      assert.equal(clean.error, null);
      assert.equal(clean.frames.length, 12);
      assert.deepEqual(clean.warnings, []);
    });

    it('stops before reading anything when the data section does not match its CRC, naming the damaged chunk and its offset', async () => {
      const path = join(dir, 'flipped.mcap');
      const { chunkOffset } = await damagedCopy(script.path, path, { chunk: 0 });
      const { frames, error } = await framesOf(path);
      assert.ok(error instanceof RecordingError);
      assert.equal(frames.length, 0, 'nothing was read from the damaged file');
      assert.match(
        error.message,
        new RegExp(
          `flipped\\.mcap: the data section \\(bytes 0–\\d+\\) does not match its CRC \\(computed 0x[0-9a-f]{8}, recorded 0x[0-9a-f]{8}\\): ` +
            `chunk 1 of \\d+ at offset ${chunkOffset} does not match its CRC .*run again with --ignore-crc`,
        ),
      );
    });

    it('checks each chunk as it is read when the writer recorded no data-section CRC (as rosbag2 does by default)', async () => {
      const clean = await framesOf(script.path);
      const chunks = (await readerOf(script.path)).chunkIndexes;
      assert.ok(chunks.length >= 2, `the recording has ${chunks.length} chunks`);
      const path = join(dir, 'flipped-no-data-crc.mcap');
      const { chunkOffset } = await damagedCopy(script.path, path, { chunk: 1, dataSectionCrc: false });
      const damaged = await framesOf(path);
      assert.ok(damaged.error instanceof RecordingError);
      assert.match(damaged.error.message, new RegExp(`chunk 2 of ${chunks.length} at offset ${chunkOffset} does not match its CRC`));
      // The frames of the first chunk, undamaged, were read; none from the damaged one.
      assert.ok(damaged.frames.length > 0 && damaged.frames.length < clean.frames.length);
      damaged.frames.forEach((frame, i) => assert.deepEqual(frame, clean.frames[i]));

      // --ignore-crc: everything is read, with a warning naming the chunk; the damaged bytes are what they are.
      const salvaged = await framesOf(path, { ignoreCrc: true });
      assert.equal(salvaged.error, null);
      assert.equal(salvaged.frames.length, clean.frames.length);
      assert.equal(salvaged.warnings.length, 1);
      assert.match(
        salvaged.warnings[0]!,
        new RegExp(`chunk 2 of \\d+ at offset ${chunkOffset} does not match its CRC .*read anyway \\(--ignore-crc\\)`),
      );
      assert.ok(
        salvaged.frames.some((frame, i) => Buffer.compare(frame, clean.frames[i]!) !== 0),
        'a frame was read damaged',
      );
    });

    it('says when the damage lies between chunks, where only the data-section CRC sees it', async () => {
      const path = join(dir, 'flipped-index.mcap');
      await damagedCopy(script.path, path, { chunk: 0, between: true });
      const { error } = await framesOf(path);
      assert.ok(error instanceof RecordingError);
      assert.match(error.message, /every chunk matches its own CRC, so the damage is in the records between chunks/);
      const salvaged = await framesOf(path, { ignoreCrc: true });
      assert.equal(salvaged.frames.length, 12);
      assert.match(salvaged.warnings[0]!, /data section .* does not match its CRC/);
    });
  });

  it('refuses a recording whose messages are not in chunks instead of reading none', async () => {
    const path = join(dir, 'unchunked.mcap');
    const file = await FileWritable.create(path);
    const mcap = new McapWriter({ writable: file, useChunks: false });
    await mcap.start({ profile: 'ros2', library: 'test' });
    const schemaId = await mcap.registerSchema({
      name: 'std_msgs/msg/String',
      encoding: 'ros2msg',
      data: new TextEncoder().encode('string data'),
    });
    const channelId = await mcap.registerChannel({ topic: '/s', schemaId, messageEncoding: 'cdr', metadata: new Map() });
    await mcap.addMessage({
      channelId,
      sequence: 0,
      logTime: 1n,
      publishTime: 1n,
      data: new MessageWriter(parse('string data', { ros2: true })).writeMessage({ data: 'hi' }),
    });
    await mcap.end();
    await file.close();
    await assert.rejects(
      McapRecording.open(path),
      (e: unknown) => e instanceof RecordingError && /unchunked\.mcap: its messages are not in chunks .*`mcap recover`/.test(e.message),
    );
  });

  it('names the missing topic and lists what the file has', async () => {
    const script = await writeRecording({ path: join(dir, 'c.mcap'), durationS: 1, fps: 2, audio: 'none', pose: 'none' });
    const recording = await McapRecording.open(script.path);
    try {
      assert.throws(
        () => matchSensorTopics(recording, configSchema.parse({ camera: { topic: 'front/image_raw' }, audio: { type: 'none' } })),
        (e: unknown) =>
          e instanceof RecordingError &&
          /no topic \/front\/image_raw \(camera\.topic/.test(e.message) &&
          e.message.includes('/camera/image_raw (sensor_msgs/msg/Image, 2 messages)'),
      );
      assert.throws(
        () =>
          matchSensorTopics(
            recording,
            configSchema.parse({ camera: { topic: '/camera/image_raw', type: 'compressed' }, audio: { type: 'none' } }),
          ),
        /carries sensor_msgs\/msg\/Image, but camera\.type asks for sensor_msgs\/msg\/CompressedImage/,
      );
    } finally {
      await recording.close();
    }
  });

  it('refuses a missing file and a file that is not MCAP with a clear error', async () => {
    await assert.rejects(McapRecording.open(join(dir, 'nope.mcap')), /nope\.mcap: no such file/);
    writeFileSync(join(dir, 'video.mp4'), Buffer.from('....ftypisom........'));
    await assert.rejects(McapRecording.open(join(dir, 'video.mp4')), /video\.mp4: not an MCAP file/);
  });
});

async function readerOf(path: string): Promise<McapIndexedReader> {
  const readable = await FileReadable.open(path);
  try {
    return await McapIndexedReader.Initialize({ readable });
  } finally {
    await readable.close();
  }
}
