/**
 * Generates rosbag2 MCAP recordings of a scripted scene for tests, benchmarks and the demo: VGA camera frames
 * (rgb8 Image or JPEG CompressedImage) whose content changes scene by scene, audio chunks with sentences spoken
 * by espeak-ng at scripted times (ros-drivers AudioDataStamped + AudioInfo, or mgonzs13 AudioStamped), and poses
 * moving along a circle. Written the way `ros2 bag record -s mcap` writes (profile ros2, ros2msg schemas, cdr).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { McapWriter } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { FileWritable } from '../bag/FileWritable.js';
import { MessageDefinitions } from '../bag/MessageDefinitions.js';
import { NANOS_PER_SECOND, secondsToNanos, toRosTime, type RosNanos } from '../time.js';

export interface Scene {
  /** Seconds from the start of the recording at which the scene begins. */
  fromS: number;
  /** CSS colour of the background. */
  colour: string;
  /** Text of the sign shown in the middle of the frame; empty: no sign. */
  sign: string;
  /** A photograph placed in the frame (a person, a thing), over the sign if they overlap. */
  picture?: ScenePicture;
}

export interface ScenePicture {
  /** Encoded image (JPEG, PNG). */
  image: Uint8Array;
  /** Its top-left corner and height in the frame, in pixels; the width follows the aspect ratio. */
  left: number;
  top: number;
  height: number;
  /** Brightness factor (1: as photographed). */
  brightness?: number;
}

export interface SpokenLine {
  atS: number;
  text: string;
}

export interface RecordingOptions {
  path: string;
  durationS: number;
  fps?: number;
  width?: number;
  height?: number;
  camera?: 'image' | 'compressed';
  audio?: 'audio_data_stamped' | 'audio_stamped' | 'none';
  sampleRate?: 16_000 | 48_000;
  /** Seconds of audio per message. */
  audioChunkS?: number;
  speech?: SpokenLine[];
  pose?: 'pose_stamped' | 'odometry' | 'pose_with_covariance_stamped' | 'none';
  poseRateHz?: number;
  scenes?: Scene[];
  /** ROS time of the first message. */
  start?: RosNanos;
}

/** What was written, for assertions and for configuring a reader of the file. */
export interface RecordingScript {
  path: string;
  start: RosNanos;
  end: RosNanos;
  frames: number;
  scenes: Scene[];
  speech: SpokenLine[];
  topics: { camera: string; audio: string | null; audioInfo: string | null; pose: string | null };
  /** Configuration matching the file, to pass to `parseConfig` or the CLI. */
  config: {
    camera: { topic: string; type: 'image' | 'compressed' };
    audio: { topic: string; info_topic: string; type: 'audio_data_stamped' | 'audio_stamped' | 'none' };
    pose: { topic: string; type: 'pose_stamped' | 'odometry' | 'pose_with_covariance_stamped' };
  };
}

export const DEFAULT_SCENES: Scene[] = [
  { fromS: 0, colour: '#2f6f3e', sign: 'KITCHEN' },
  { fromS: 7, colour: '#7a3b2e', sign: 'KEYS ON TABLE' },
  { fromS: 15, colour: '#2e4a7a', sign: 'EXIT' },
  { fromS: 24, colour: '#6b5d1f', sign: 'LAB 3' },
];

export const DEFAULT_SPEECH: SpokenLine[] = [
  { atS: 2, text: 'The keys are on the kitchen table.' },
  { atS: 13, text: 'Please water the plants at noon.' },
];

const TYPES = {
  image: 'sensor_msgs/msg/Image',
  compressed: 'sensor_msgs/msg/CompressedImage',
  audio_data_stamped: 'audio_common_msgs/msg/AudioDataStamped',
  audio_info: 'audio_common_msgs/msg/AudioInfo',
  audio_stamped: 'audio_common_msgs/msg/AudioStamped',
  pose_stamped: 'geometry_msgs/msg/PoseStamped',
  odometry: 'nav_msgs/msg/Odometry',
  pose_with_covariance_stamped: 'geometry_msgs/msg/PoseWithCovarianceStamped',
} as const;

/** PortAudio's paInt16, the sample format code mgonzs13's audio_common uses. */
const PA_INT16 = 8;

interface Timed {
  at: RosNanos;
  channel: number;
  build: () => unknown;
}

export async function writeRecording(options: RecordingOptions): Promise<RecordingScript> {
  const {
    path,
    durationS,
    fps = 10,
    width = 640,
    height = 480,
    camera = 'image',
    audio = 'audio_data_stamped',
    sampleRate = 16_000,
    audioChunkS = 0.1,
    speech = DEFAULT_SPEECH,
    pose = 'pose_stamped',
    poseRateHz = 10,
    scenes = DEFAULT_SCENES,
    start = 1_750_000_000n * NANOS_PER_SECOND,
  } = options;
  const topics = {
    camera: camera === 'image' ? '/camera/image_raw' : '/camera/image_raw/compressed',
    audio: audio === 'none' ? null : '/audio/audio_stamped',
    audioInfo: audio === 'audio_data_stamped' ? '/audio/audio_info' : null,
    pose: pose === 'none' ? null : pose === 'odometry' ? '/odom' : pose === 'pose_with_covariance_stamped' ? '/amcl_pose' : '/pose',
  };

  const file = await FileWritable.create(path);
  const mcap = new McapWriter({ writable: file, chunkSize: 4 << 20 });
  await mcap.start({ profile: 'ros2', library: 'taskmem test recording' });
  const serializers: MessageWriter[] = [];
  const channel = async (topic: string, type: string, flavour: 'ros_drivers' | 'mgonzs13' = 'ros_drivers') => {
    const text = new MessageDefinitions({ audioCommon: flavour }).schemaText(type);
    const schemaId = await mcap.registerSchema({ name: type, encoding: 'ros2msg', data: new TextEncoder().encode(text) });
    const id = await mcap.registerChannel({ topic, schemaId, messageEncoding: 'cdr', metadata: new Map() });
    serializers[id] = new MessageWriter(parse(text, { ros2: true }));
    return id;
  };

  const events: Timed[] = [];
  const header = (at: RosNanos, frame_id: string) => ({ stamp: toRosTime(at), frame_id });
  const end = start + secondsToNanos(durationS);

  // Camera: one rendering per scene; a marker moving along the bottom edge changes every raw frame.
  const cameraChannel = await channel(topics.camera, TYPES[camera]);
  const rendered = await Promise.all(scenes.map((scene) => renderScene(scene, width, height, camera)));
  const frames = Math.floor(durationS * fps);
  for (let i = 0; i < frames; i++) {
    const at = start + secondsToNanos(i / fps);
    const sceneIndex = scenes.findLastIndex((s) => s.fromS <= i / fps);
    const pixels = rendered[Math.max(0, sceneIndex)]!;
    events.push({
      at,
      channel: cameraChannel,
      build: () =>
        camera === 'image'
          ? {
              header: header(at, 'camera'),
              height,
              width,
              encoding: 'rgb8',
              is_bigendian: 0,
              step: width * 3,
              data: withMarker(pixels, width, height, i),
            }
          : { header: header(at, 'camera'), format: 'rgb8; jpeg compressed bgr8', data: pixels },
    });
  }

  // Audio: silence with the scripted sentences mixed in, cut into chunks.
  if (audio !== 'none') {
    const pcm = new Int16Array(Math.round(durationS * sampleRate));
    for (const line of speech.filter((l) => l.atS < durationS)) {
      const at = Math.round(line.atS * sampleRate);
      pcm.set(speak(line.text, sampleRate).subarray(0, pcm.length - at), at);
    }
    // The info channel is registered first so that, at equal stamps, AudioInfo is written before the chunk.
    const infoChannel = topics.audioInfo ? await channel(topics.audioInfo, TYPES.audio_info) : null;
    const audioChannel = await channel(topics.audio!, TYPES[audio], audio === 'audio_stamped' ? 'mgonzs13' : 'ros_drivers');
    const chunk = Math.round(audioChunkS * sampleRate);
    for (let offset = 0; offset < pcm.length; offset += chunk) {
      const at = start + secondsToNanos(offset / sampleRate);
      const samples = pcm.subarray(offset, offset + chunk);
      // ros-drivers' capture node repeats AudioInfo every 5 s; the first comes before the first chunk.
      if (infoChannel !== null && offset % (5 * sampleRate) < chunk) {
        events.push({
          at,
          channel: infoChannel,
          build: () => ({ channels: 1, sample_rate: sampleRate, sample_format: 'S16LE', bitrate: 0, coding_format: 'wave' }),
        });
      }
      events.push({
        at,
        channel: audioChannel,
        build: () =>
          audio === 'audio_data_stamped'
            ? { header: header(at, 'microphone'), audio: { data: new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength) } }
            : {
                header: header(at, 'microphone'),
                audio: {
                  info: { format: PA_INT16, channels: 1, rate: sampleRate, chunk: samples.length },
                  audio_data: { float32_data: [], int32_data: [], int16_data: samples, int8_data: [], uint8_data: new Uint8Array() },
                },
              },
      });
    }
  }

  // Pose: a circle of 3 m radius at 0.2 rad/s, heading along the path.
  if (pose !== 'none') {
    const poseChannel = await channel(topics.pose!, TYPES[pose]);
    for (let i = 0; i < durationS * poseRateHz; i++) {
      const t = i / poseRateHz;
      const at = start + secondsToNanos(t);
      const angle = 0.2 * t;
      const yaw = angle + Math.PI / 2;
      const p = {
        position: { x: 3 * Math.cos(angle), y: 3 * Math.sin(angle), z: 0 },
        orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) },
      };
      const covariance = new Float64Array(36);
      events.push({
        at,
        channel: poseChannel,
        build: () =>
          pose === 'pose_stamped'
            ? { header: header(at, 'map'), pose: p }
            : pose === 'odometry'
              ? {
                  header: header(at, 'odom'),
                  child_frame_id: 'base_link',
                  pose: { pose: p, covariance },
                  twist: { twist: { linear: { x: 0.6, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0.2 } }, covariance },
                }
              : { header: header(at, 'map'), pose: { pose: p, covariance } },
      });
    }
  }

  // Recorders receive messages a little after their stamps; log them 2 ms late, in log-time order.
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.channel - b.channel));
  const sequences = new Map<number, number>();
  for (const event of events) {
    const sequence = sequences.get(event.channel) ?? 0;
    sequences.set(event.channel, sequence + 1);
    const logTime = event.at + 2_000_000n;
    await mcap.addMessage({
      channelId: event.channel,
      sequence,
      logTime,
      publishTime: logTime,
      data: serializers[event.channel]!.writeMessage(event.build()),
    });
  }
  await mcap.end();
  await file.close();

  return {
    path,
    start,
    end,
    frames,
    scenes,
    speech: audio === 'none' ? [] : speech.filter((l) => l.atS < durationS),
    topics,
    config: {
      camera: { topic: topics.camera, type: camera },
      audio: { topic: topics.audio ?? '', info_topic: topics.audioInfo ?? '', type: audio },
      pose: { topic: topics.pose ?? '', type: pose === 'none' ? 'pose_stamped' : pose },
    },
  };
}

/** The scene as raw rgb8 pixels, or as a JPEG for CompressedImage. */
async function renderScene(scene: Scene, width: number, height: number, camera: 'image' | 'compressed'): Promise<Uint8Array> {
  const sign =
    scene.sign === ''
      ? ''
      : `<rect x="${width * 0.15}" y="${height * 0.35}" width="${width * 0.7}" height="${height * 0.3}" fill="#f4f1e8" stroke="#111" stroke-width="6"/>
    <text x="50%" y="53%" font-family="sans-serif" font-size="${Math.round(height / 10)}" font-weight="bold" fill="#111" text-anchor="middle">${scene.sign}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="${scene.colour}"/>
    ${sign}
  </svg>`;
  let image = sharp(Buffer.from(svg)).removeAlpha();
  const picture = scene.picture;
  if (picture) {
    const placed = await sharp(picture.image)
      .removeAlpha()
      .resize({ height: picture.height })
      .modulate({ brightness: picture.brightness ?? 1 })
      .png()
      .toBuffer();
    // Composited onto a flattened copy: sharp applies a composite after the other operations.
    image = sharp(await image.png().toBuffer())
      .composite([{ input: placed, left: picture.left, top: picture.top }])
      .removeAlpha();
  }
  return new Uint8Array(camera === 'image' ? await image.raw().toBuffer() : await image.jpeg({ quality: 85 }).toBuffer());
}

/** A copy of the scene's pixels with a white block at a position that moves with the frame number. */
function withMarker(pixels: Uint8Array, width: number, height: number, frame: number): Uint8Array {
  const out = pixels.slice();
  const size = 16;
  const x0 = (frame * 8) % (width - size);
  for (let y = height - 2 * size; y < height - size; y++) out.fill(255, (y * width + x0) * 3, (y * width + x0 + size) * 3);
  return out;
}

/**
 * The programs the speech track needs (espeak-ng speaks, sox resamples) that are not installed; empty when speech
 * can be generated. A recording with `speech` lines fails without them, so a caller without them passes no speech.
 */
export function missingSpeechTools(): string[] {
  return ['espeak-ng', 'sox'].filter((program) => {
    try {
      execFileSync(program, ['--version'], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

/** A sentence spoken by espeak-ng as mono S16 samples at `sampleRate`, cached across runs. */
function speak(text: string, sampleRate: number): Int16Array {
  const folder = join(tmpdir(), 'taskmem-test-speech');
  const file = join(folder, `${createHash('sha256').update(`${sampleRate}:${text}`).digest('hex').slice(0, 16)}.s16`);
  if (!existsSync(file)) {
    mkdirSync(folder, { recursive: true });
    let wav: Buffer;
    try {
      wav = execFileSync('espeak-ng', ['--stdout', text]);
    } catch (error) {
      throw new Error(`recording: espeak-ng failed (${String(error)}); install it with \`apt-get install -y espeak-ng sox\``, {
        cause: error,
      });
    }
    writeFileSync(
      file,
      execFileSync('sox', ['-t', 'wav', '-', '-t', 'raw', '-r', String(sampleRate), '-e', 'signed', '-b', '16', '-c', '1', '-'], {
        input: wav,
      }),
    );
  }
  // A copy: a small file's Buffer may sit at an odd offset of Node's pool, which Int16Array cannot view.
  return new Int16Array(new Uint8Array(readFileSync(file)).buffer);
}
