import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import type { SensorMessage } from '../pipeline/SensorMessage.js';
import { secondsToNanos, toRosTime, type RosNanos } from '../time.js';

const run = promisify(execFile);

export interface VideoInfo {
  width: number;
  height: number;
  durationS: number;
  hasAudio: boolean;
}

/** Reads a video's size, duration and whether it has sound, with ffprobe. */
export async function probeVideo(path: string): Promise<VideoInfo> {
  let stdout: string;
  try {
    ({ stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,width,height:format=duration',
      '-of',
      'json',
      path,
    ]));
  } catch (error) {
    throw new Error(`bench: cannot read video ${path}: ${(error as { stderr?: string }).stderr?.trim() || String(error)}`, {
      cause: error,
    });
  }
  const info = JSON.parse(stdout) as {
    streams?: { codec_type: string; width?: number; height?: number }[];
    format?: { duration?: string };
  };
  const video = info.streams?.find((s) => s.codec_type === 'video');
  if (!video?.width || !video.height) throw new Error(`bench: ${path} has no video stream`);
  return {
    width: video.width,
    height: video.height,
    durationS: Number(info.format?.duration ?? 0),
    hasAudio: info.streams?.some((s) => s.codec_type === 'audio') ?? false,
  };
}

/** A sensor message of the video and its stamp. */
export interface VideoEvent {
  stamp: RosNanos;
  sensor: SensorMessage;
}

/** Audio is decoded as the ros-drivers capture node publishes it with `format:=wave`: S16LE mono at this rate. */
const AUDIO_RATE = 16_000;

export interface VideoSourceOptions {
  /** ROS time of the video's first frame. */
  base: RosNanos;
  /** Frames per second to decode; the segmenter only keeps a few per segment, so a low rate suffices. */
  fps: number;
  /** Long side of decoded frames in pixels (frames are never upscaled). */
  maxSide: number;
  /** Seconds of audio per chunk. */
  audioChunkS?: number;
  signal?: AbortSignal;
}

/**
 * Streams a video file as the robot's topics would carry it: sensor_msgs/Image rgb8 frames and audio_common
 * AudioDataStamped chunks (after one AudioInfo), decoded by ffmpeg through pipes (never a whole file in memory)
 * and merged in stamp order. Stamps follow the video's own time base from `base`.
 */
export async function* streamVideo(path: string, info: VideoInfo, options: VideoSourceOptions): AsyncGenerator<VideoEvent> {
  const { base, fps, maxSide, audioChunkS = 0.5, signal } = options;
  const scale = Math.min(1, maxSide / Math.max(info.width, info.height));
  const width = Math.max(2, Math.round((info.width * scale) / 2) * 2);
  const height = Math.max(2, Math.round((info.height * scale) / 2) * 2);
  const frameBytes = width * height * 3;
  const frames = readFixed(
    ffmpeg(['-i', path, '-an', '-vf', `fps=${fps},scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], signal),
    frameBytes,
  );
  const chunkSamples = Math.round(audioChunkS * AUDIO_RATE);
  const audio = info.hasAudio
    ? readFixed(ffmpeg(['-i', path, '-vn', '-ac', '1', '-ar', String(AUDIO_RATE), '-f', 's16le', 'pipe:1'], signal), chunkSamples * 2, true)
    : null;
  if (audio) {
    yield {
      stamp: base,
      sensor: {
        kind: 'audio_info',
        message: { channels: 1, sample_rate: AUDIO_RATE, sample_format: 'S16LE', bitrate: AUDIO_RATE * 16, coding_format: 'wave' },
      },
    };
  }

  let frameIndex = 0;
  let sampleIndex = 0;
  let nextFrame = await frames.next();
  let nextAudio = audio ? await audio.next() : null;
  while (!nextFrame.done || (nextAudio && !nextAudio.done)) {
    const frameStamp = base + secondsToNanos((frameIndex + 0.5) / fps);
    const audioStamp = base + (BigInt(sampleIndex) * 1_000_000_000n) / BigInt(AUDIO_RATE);
    const takeFrame = !nextFrame.done && (!nextAudio || nextAudio.done || frameStamp <= audioStamp);
    if (takeFrame) {
      const data = nextFrame.value as Buffer;
      const header = { stamp: toRosTime(frameStamp), frame_id: 'camera' };
      yield {
        stamp: frameStamp,
        sensor: { kind: 'image', message: { header, height, width, encoding: 'rgb8', is_bigendian: 0, step: width * 3, data } },
      };
      frameIndex++;
      nextFrame = await frames.next();
    } else if (nextAudio && !nextAudio.done) {
      const data = nextAudio.value;
      const header = { stamp: toRosTime(audioStamp), frame_id: 'microphone' };
      yield { stamp: audioStamp, sensor: { kind: 'audio_data_stamped', message: { header, audio: { data } } } };
      sampleIndex += data.length / 2;
      nextAudio = await audio!.next();
    }
  }
}

function ffmpeg(args: string[], signal?: AbortSignal): Readable {
  const child = spawn('ffmpeg', ['-v', 'error', '-nostdin', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (error) => child.stdout.destroy(new Error(`bench: ffmpeg failed to start: ${error.message}`)));
  child.on('close', (code) => {
    if (code !== 0 && code !== null) child.stdout.destroy(new Error(`bench: ffmpeg exited with ${code}: ${stderr.trim()}`));
  });
  return child.stdout;
}

/** Cuts a byte stream into records of `size` bytes; with `allowShort`, the last partial record is yielded too. */
async function* readFixed(stream: Readable, size: number, allowShort = false): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of stream) {
    pending.push(chunk as Buffer);
    pendingBytes += (chunk as Buffer).length;
    if (pendingBytes < size) continue;
    const all = Buffer.concat(pending);
    let offset = 0;
    while (all.length - offset >= size) {
      yield all.subarray(offset, offset + size);
      offset += size;
    }
    pending = [all.subarray(offset)];
    pendingBytes = all.length - offset;
  }
  if (allowShort && pendingBytes >= 2) {
    const rest = Buffer.concat(pending);
    yield rest.subarray(0, rest.length - (rest.length % 2));
  }
}
