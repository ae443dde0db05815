/**
 * `taskmem ingest <recording.mcap>`: runs a rosbag2 MCAP recording through the memory pipeline into the store,
 * with progress on stderr, resuming where an earlier run of the same recording stopped.
 */
import { consoleLogger } from '../../log.js';
import { McapRecording, RecordingError } from '../../bag/McapRecording.js';
import { matchSensorTopics } from '../../bag/RecordingSensors.js';
import { PolicyMemorizer } from '../../memorize/PolicyMemorizer.js';
import { PerceptionMemorizer } from '../../memorize/PerceptionMemorizer.js';
import { SegmentSight } from '../../people/SegmentSight.js';
import type { Memorizer } from '../../memorize/Memorizer.js';
import type { MemoryStore } from '../../memory/MemoryStore.js';
import { openMemoryStore } from '../../memory/openMemoryStore.js';
import { ingestRecording, type IngestProgress } from '../../pipeline/RecordingIngest.js';
import { formatStamp, type RosNanos } from '../../time.js';
import { probeEndpoint } from '../../pipeline/probeEndpoint.js';
import { commandArgs, consoleOutput, UsageError } from '../commandArgs.js';

export const summary = 'memorize a rosbag2 MCAP recording into the store (resumable)';

const USAGE = `usage: taskmem ingest <recording.mcap> [--memories-out memories.mcap] [--params-file taskmem.yaml] [--<parameter> <value>]…

Reads the camera, audio and pose topics the parameters name (camera.topic/type, audio.*, pose.*) from a rosbag2
MCAP recording, writes one memory per segment into the store (store.backend, store.path), and can write the
memories into an MCAP file to open beside the recording in Foxglove. Prints one line per memory stored on stdout,
progress on stderr. Stopping (Ctrl-C) keeps what is stored; running the same command again resumes.

exit codes: 0 every segment memorized; 1 some segments failed (recorded; a rerun retries them);
            2 bad arguments, configuration or recording; 3 policy endpoint unreachable and no fallback;
            4 store error; 130 interrupted (a rerun resumes)`;

export async function run(args: string[]): Promise<number> {
  const fromArgs = commandArgs(args, consoleOutput, {
    usage: USAGE,
    hint: 'run `taskmem ingest --help` for the options',
    parse: parseArgs,
  });
  if ('exit' in fromArgs) return fromArgs.exit;
  const {
    config,
    parsed: { recording, memoriesOut },
  } = fromArgs;
  const logger = consoleLogger;
  // The recording's problems are the user's first concern: report them before touching endpoint or store.
  try {
    const opened = await McapRecording.open(recording);
    try {
      matchSensorTopics(opened, config);
    } finally {
      await opened.close();
    }
  } catch (error) {
    if (!(error instanceof RecordingError)) throw error;
    console.error(`taskmem ingest: ${error.message}`);
    return 2;
  }

  // The ROS time of the newest message read: the time at which a memory is written during a replay.
  let readTo: RosNanos = 0n;
  const now = () => readTo;
  let memorizer: Memorizer;
  let fallback: Memorizer | null = null;
  let reach: Awaited<ReturnType<typeof probeEndpoint>> | null = null;
  if (config.memorizer.url !== '') {
    reach = await probeEndpoint(config.memorizer.url);
    if (!reach.reachable && !config.memorizer.fallback) {
      console.error(
        `taskmem ingest: the policy endpoint ${config.memorizer.url} is unreachable (${reach.reason}); start it, or allow the fallback memorizer with --memorizer.fallback true`,
      );
      return 3;
    }
  }

  let store: MemoryStore;
  try {
    store = await openMemoryStore(config.store, logger);
  } catch (error) {
    console.error(`taskmem ingest: cannot open the store: ${error instanceof Error ? error.message : String(error)}`);
    return 4;
  }
  try {
    // People are kept in the store, so what sees them needs it.
    const sight = await SegmentSight.fromConfig(config, { store, logger });
    const perception = () => PerceptionMemorizer.load({ now, thumbnails: config.store.thumbnails, sight, logger });
    if (config.memorizer.url === '') {
      logger.info(
        `memorizer.url is empty: memories are written by the embedded perception memorizer (${sight ? 'objects and people seen, ' : ''}text read in the frames, speech, pose)`,
      );
      memorizer = await perception();
    } else {
      if (reach && !reach.reachable)
        logger.warn(
          `the policy endpoint ${config.memorizer.url} is unreachable (${reach.reason}); segments are written by the perception memorizer while it stays down`,
        );
      memorizer = PolicyMemorizer.fromConfig(config, { now, logger, sight });
      if (config.memorizer.fallback) fallback = await perception();
    }
  } catch (error) {
    await store.close();
    console.error(`taskmem ingest: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }

  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    logger.info('stopping: finishing the segment in flight (press Ctrl-C again to quit at once)');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = new ProgressLine(process.stderr);
  try {
    const result = await ingestRecording({
      path: recording,
      config,
      store,
      memorizer,
      fallback,
      memoriesOut,
      logger,
      signal: stop.signal,
      onProgress: (p) => progress.show(p),
      // One line per committed memory on stdout; progress and messages go to stderr.
      onStored: (memory) => {
        progress.clear();
        process.stdout.write(`stored ${memory.id} ${formatStamp(memory.start)} ${memory.text}\n`);
      },
      onRead: (stamp) => {
        readTo = stamp;
      },
    });
    progress.done();
    const line =
      `${result.stored} memories stored, ${result.skipped} already stored, ${result.failed} failed` +
      (result.fallback ? ` (${result.fallback} by the fallback memorizer)` : '') +
      ` — ${result.readSeconds.toFixed(0)} s of recording in ${result.wallSeconds.toFixed(1)} s (${result.speed.toFixed(1)}× real time), episode ${result.episode}` +
      (memoriesOut ? `; memories written to ${memoriesOut}` : '');
    logger.info(line);
    if (result.interrupted) {
      logger.info('interrupted: run the same command again to resume');
      return 130;
    }
    if (result.failed > 0) {
      logger.warn(`${result.failed} segment(s) failed and are recorded in the store; run the same command again to retry them`);
      return 1;
    }
    return 0;
  } catch (error) {
    progress.done();
    if (error instanceof RecordingError) {
      console.error(`taskmem ingest: ${error.message}`);
      return 2;
    }
    console.error(`taskmem ingest: ${error instanceof Error ? error.message : String(error)}`);
    return 4;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}

/** One progress line on stderr, rewritten in place on a terminal and printed every few seconds otherwise. */
class ProgressLine {
  readonly #out: NodeJS.WriteStream;
  #shown = false;
  #lastPrinted = 0;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  show(p: IngestProgress): void {
    const eta = p.etaSeconds === null ? '?' : clock(p.etaSeconds);
    const text =
      `segments ${p.stored + p.skipped + p.failed}/${p.expectedSegments} (${p.stored} stored, ${p.skipped} skipped, ${p.failed} failed)` +
      ` · ${clock(p.readSeconds)}/${clock(p.totalSeconds)} of recording · ${p.speed.toFixed(1)}× real time · ETA ${eta}`;
    if (this.#out.isTTY) {
      this.#out.write(`\r${text}\x1b[K`);
      this.#shown = true;
    } else if (Date.now() - this.#lastPrinted >= 5000) {
      this.#lastPrinted = Date.now();
      this.#out.write(`${text}\n`);
    }
  }

  /** Erases the line so that another line can be printed. */
  clear(): void {
    if (this.#shown) this.#out.write('\r\x1b[K');
  }

  done(): void {
    if (this.#shown) this.#out.write('\n');
    this.#shown = false;
  }
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The recording and --memories-out. */
function parseArgs(rest: string[]): { recording: string; memoriesOut: string | null } {
  const positional: string[] = [];
  let memoriesOut: string | null = null;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--memories-out' || arg.startsWith('--memories-out=')) {
      memoriesOut = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (rest[++i] ?? '');
      if (memoriesOut === '') throw new UsageError('taskmem ingest: --memories-out needs a file name');
    } else if (arg.startsWith('-')) {
      throw new UsageError(`taskmem ingest: unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1) {
    throw new UsageError(
      positional.length === 0
        ? 'taskmem ingest: which recording? (a .mcap file)'
        : `taskmem ingest: one recording at a time (got ${positional.join(', ')})`,
    );
  }
  return { recording: positional[0]!, memoriesOut };
}
