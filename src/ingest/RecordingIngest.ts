import type { RecordingIdentity } from '../bag/McapRecording.js';
import { openRecording } from '../bag/openRecording.js';
import type { Recording } from '../bag/Recording.js';
import type { MemoryMcapWriter } from '../bag/MemoryMcapWriter.js';
import { matchSensorTopics, recordedSensorMessages } from '../bag/RecordingSensors.js';
import type { Config } from '../config/schema.js';
import type { EmbeddingCounts } from '../embed/MemoryEmbedder.js';
import { silentLogger, type Logger } from '../log.js';
import { memoryId, type Memory } from '../memory/Memory.js';
import type { EpisodeClaims } from '../memory/EpisodeClaims.js';
import type { IngestRecords } from '../memory/IngestRecords.js';
import { RunEpisodes } from '../memory/RunEpisodes.js';
import type { MemoryRecords } from '../memory/MemoryRecords.js';
import type { MemoryPipeline } from '../pipeline/MemoryPipeline.js';
import type { Segment } from '../segment/Segment.js';
import { fromRosTime, nanosToSeconds, type RosNanos } from '../time.js';

const PUSHES_IN_FLIGHT = 32;

export interface IngestProgress {
  /** Seconds of recording read so far, and in all. */
  readSeconds: number;
  totalSeconds: number;
  /** Segments that ended stored, skipped (already stored by an earlier run) or failed; and expected in all. */
  stored: number;
  skipped: number;
  failed: number;
  expectedSegments: number;
  wallSeconds: number;
  /** Recording seconds per wall second. */
  speed: number;
  /** Wall seconds left at the current speed; null before there is a speed. */
  etaSeconds: number | null;
}

export interface IngestSummary extends IngestProgress {
  episode: number;
  /** True when an earlier run of the same recording had stored some of its memories. */
  resumed: boolean;
  /** True when the run was stopped by the signal before the end of the recording. */
  interrupted: boolean;
  fallback: number;
  /** What the embedding on the write path did (the pipeline's); null when no embedding source is configured. */
  embedding: EmbeddingCounts | null;
}

/**
 * What the recording's pipeline is made with: the recording's episodes claimed in the store (the pipeline starts
 * at its ordinal episode 0), the recording's clock, and waiting instead of dropping.
 */
export interface RecordingPipelineOptions {
  episode: 0;
  episodes: RunEpisodes;
  /** The newest stamp read (or the end of the newest closed segment): the time memories are written at. */
  now: () => RosNanos;
  overflow: 'wait';
}

export interface RecordingIngestOptions {
  path: string;
  config: Pick<Config, 'robot_id' | 'segment' | 'camera' | 'audio' | 'pose' | 'store'>;
  store: MemoryRecords & IngestRecords & EpisodeClaims;
  /** Makes the pipeline the recording is memorized through (the assembly's, with its memorizer and task focus). */
  openPipeline: (options: RecordingPipelineOptions) => Promise<{ pipeline: MemoryPipeline }>;
  /** Also write every memory of the recording into this MCAP file; it is closed at the end. */
  memoriesOut?: Pick<MemoryMcapWriter, 'write' | 'close'> | null;
  /** Read past CRC mismatches in the recording with a warning instead of stopping (`--ignore-crc`). */
  ignoreCrc?: boolean;
  logger?: Logger;
  onProgress?: (progress: IngestProgress) => void;
  /** Called with each memory once it is committed to the store. */
  onStored?: (memory: Memory) => void;
  /** Milliseconds between progress reports. */
  progressIntervalMs?: number;
  /**
   * Aborting stops at once: reading ends, the model request in flight and any wait before a retry are cancelled,
   * and the segments not yet memorized are recorded as failed (a rerun memorizes them).
   */
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * The resume key of a recording: the same content (a copy or a moved file too) gets the same key, so a rerun
 * continues where the last one stopped.
 */
export function progressKey(identity: RecordingIdentity): string {
  return `ingest:${identity.content}`;
}

/** What the episodes of a recording are claimed for in the store: its content. */
export function recordingSource(identity: RecordingIdentity): string {
  return `recording:${identity.content}`;
}

/**
 * The key of a recording in a store written before recordings were known by content (the file's path, size and
 * message times): its progress, and `#episode` after it for the episode it was given.
 */
function pathProgressKey(identity: RecordingIdentity): string {
  return `ingest:${identity.path}:${identity.size}:${identity.start}:${identity.end}`;
}

/**
 * The first episode a recording was ingested into in this store (by its content; or, in a store written before
 * that, by its path), or null when it never was.
 */
export async function recordingEpisode(
  store: IngestRecords & EpisodeClaims,
  robotId: string,
  identity: RecordingIdentity,
): Promise<number | null> {
  const claimed = await store.claimedEpisode(robotId, recordingSource(identity), 0);
  if (claimed !== null) return claimed;
  const earlier = await store.getProgress(`${pathProgressKey(identity)}#episode`);
  return earlier === null ? null : Number(earlier);
}

/**
 * `taskmem ingest` without the command line (also `taskmem remember` and the demo): runs a rosbag2 MCAP
 * recording through the memory pipeline, waiting for the memorizer rather than dropping segments. A rerun of the same recording reuses its episode,
 * so segments already stored keep their ids and are skipped without asking the model; the store's progress
 * entry records how far the recording was memorized.
 */
export async function ingestRecording(options: RecordingIngestOptions): Promise<IngestSummary> {
  const {
    path,
    config,
    store,
    openPipeline,
    memoriesOut: writer = null,
    ignoreCrc = false,
    logger = silentLogger,
    onProgress,
    onStored,
    progressIntervalMs = 1000,
    signal,
    now = Date.now,
  } = options;
  let recording: Recording | null = null;
  let completed = false;
  let episodes: RunEpisodes | null = null;
  // Stops the run; set once its pipeline exists (a lease lost before that stops it as soon as it does).
  let stop = () => {};
  try {
    recording = await openRecording(path, { ignoreCrc, logger });
    const topics = matchSensorTopics(recording, config);
    const key = progressKey(recording.identity);
    // The recording's episodes, claimed under a lease: another process ingesting the same recording (by content)
    // into this store is refused until this one ends; a different recording gets other episodes.
    const earlier = await recordingEpisode(store, config.robot_id, recording.identity);
    // What stopped the run besides the pipeline: the lease lost, or a write of its progress that failed (set in
    // callbacks, which TypeScript cannot see assign it).
    const stopped: { by: Error | null } = { by: null };
    episodes = await RunEpisodes.claim({
      store,
      robotId: config.robot_id,
      source: recordingSource(recording.identity),
      leaseMs: config.store.lease_s * 1000,
      ...(earlier === null ? {} : { adopt: earlier }),
      onLost: (error) => {
        stopped.by ??= error;
        stop();
      },
    });
    const episode = await episodes.first;
    const done = (await store.getProgress(key)) ?? (await store.getProgress(pathProgressKey(recording.identity)));
    const { start, end } = recording.identity;
    const totalSeconds = nanosToSeconds(end - start);
    logger.info(
      `ingest ${recording.name}: ${totalSeconds.toFixed(1)} s, topics ${topics.map((t) => t.recordedTopic).join(', ')}; episode ${episode}` +
        (done === null ? '' : `, resuming (memorized up to ${nanosToSeconds(done - start).toFixed(1)} s)`),
    );

    // Output and progress are written in the order segments finish, one at a time, after the pipeline's commit.
    // A step that fails (the output file, or the store: a full disk) stops the run and its error is the run's; the
    // steps after it are skipped. The chain is never left rejected: a rejection nothing awaits yet would kill the process.
    let tail: Promise<void> = Promise.resolve();
    const then = (step: () => Promise<void>) => {
      tail = tail
        .then(() => (stopped.by ? undefined : step()))
        .catch((error: unknown) => {
          stopped.by ??= error instanceof Error ? error : new Error(String(error));
          stop();
        });
    };
    let lastEnd: RosNanos | null = done;
    const finished = (segment: Segment, memory: () => Promise<Memory | null>) =>
      then(async () => {
        const stored = writer ? await memory() : null;
        if (stored) await writer!.write(stored);
        if (lastEnd === null || segment.end > lastEnd) {
          lastEnd = segment.end;
          await store.setProgress(key, segment.end);
        }
      });

    // A replay's clock is the newest stamp read, or the end of the newest closed segment when the end of the
    // recording closed it early: a memory is never written before its segment ends.
    let readTo = start;
    const advance = (stamp: RosNanos) => {
      if (stamp > readTo) readTo = stamp;
    };
    const { pipeline } = await openPipeline({ episode: 0, episodes, now: () => readTo, overflow: 'wait' });
    pipeline.on('stored', (memory, segment) => {
      onStored?.(memory);
      finished(segment, async () => memory);
    });
    pipeline.on('skipped', (segment) => finished(segment, () => store.get(memoryId(segment.robotId, segment.episode, segment.start))));
    pipeline.on('failed', (_failure, segment) => finished(segment, async () => null));

    const began = now();
    const progress = (): IngestProgress => {
      const wallSeconds = (now() - began) / 1000;
      const readSeconds = nanosToSeconds(readTo - start);
      const speed = wallSeconds > 0 ? readSeconds / wallSeconds : 0;
      return {
        readSeconds,
        totalSeconds,
        wallSeconds,
        speed,
        etaSeconds: speed > 0 ? (totalSeconds - readSeconds) / speed : null,
        stored: pipeline.counts.stored,
        skipped: pipeline.counts.skipped,
        failed: pipeline.counts.failed,
        expectedSegments: Math.ceil(totalSeconds / config.segment.duration_s - 1e-9),
      };
    };
    let lastReport = began;
    // Stopping closes the pipeline at once: the segment in flight is cancelled (its request and retries aborted)
    // and recorded as failed with the waiting ones, so that a rerun retries them.
    let interrupted = false;
    stop = () => {
      interrupted = true;
      // A store that failed takes nothing more: the segments cut off are not recorded (a rerun memorizes them).
      void pipeline.close({ abort: true, record: stopped.by === null }).catch(() => {});
    };
    if (stopped.by) stop();
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    pipeline.on('closed', (segment) => advance(segment.end));
    const inFlight: Promise<void>[] = [];
    try {
      for await (const message of recordedSensorMessages(recording, topics)) {
        if (interrupted || stopped.by) break;
        if ('header' in message.message) advance(fromRosTime(message.message.header.stamp));
        // Up to PUSHES_IN_FLIGHT messages are in the pipeline at once, so that reading, frame conversion and
        // voice detection overlap; back-pressure from the queue still holds the oldest push.
        const pushed = pipeline.push(message).catch((error: unknown) => {
          if (!interrupted) throw error;
        });
        // Handled here: it is awaited in its turn, but a later push may fail (a full disk stops the pipeline) while
        // an earlier one is awaited or the file is read, and an unhandled rejection would kill the process.
        pushed.catch(() => {});
        inFlight.push(pushed);
        if (inFlight.length >= PUSHES_IN_FLIGHT) await inFlight.shift();
        if (onProgress && now() - lastReport >= progressIntervalMs) {
          lastReport = now();
          onProgress(progress());
        }
      }
      await Promise.all(inFlight.splice(0));
      if (!interrupted)
        await pipeline.drain().catch((error: unknown) => {
          if (!interrupted) throw error;
        });
      await pipeline.close();
    } finally {
      await Promise.allSettled(inFlight);
      signal?.removeEventListener('abort', stop);
      await pipeline.close().catch(() => {});
      await tail;
    }
    if (stopped.by) throw stopped.by;
    completed = true;
    return {
      ...progress(),
      episode,
      resumed: done !== null,
      interrupted,
      fallback: pipeline.counts.fallback,
      embedding: pipeline.embedding,
    };
  } finally {
    // After a failure, closing the files must not replace the error that stopped the run with its own.
    const closing = (error: unknown) => {
      if (completed) throw error;
    };
    try {
      await recording?.close().catch(closing);
      await writer?.close().catch(closing);
    } finally {
      // A store that failed cannot take the release: the lease then runs out by itself.
      await episodes?.release().catch(() => {});
    }
  }
}
