/**
 * `taskmem ingest <recording>`: runs a rosbag2 recording (MCAP, or Humble's SQLite `.db3` bag) through the memory
 * pipeline into the store,
 * with progress on stderr, resuming where an earlier run of the same recording stopped.
 */
import { Assembly } from '../../assembly/Assembly.js';
import { checkEndpoint } from '../../assembly/endpoint.js';
import { openRecording, recordingFiles } from '../../bag/openRecording.js';
import { MemoryMcapWriter } from '../../bag/MemoryMcapWriter.js';
import { matchSensorTopics } from '../../bag/RecordingSensors.js';
import { embeddingSummary } from '../../embed/embeddingSummary.js';
import { ingestRecording, type IngestProgress } from '../../ingest/RecordingIngest.js';
import { consoleLogger } from '../../log.js';
import { SegmentSight } from '../../people/SegmentSight.js';
import { terminalSafe } from '../../text/terminalSafe.js';
import { formatStamp } from '../../time.js';
import { commandArgs, consoleOutput, oneRecording } from '../commandArgs.js';
import { clock, ProgressLine } from '../ProgressLine.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';
import { outputFailure } from '../outputFailure.js';

export const summary = 'memorize a rosbag2 recording (MCAP, .db3 or a bag directory) into the store (resumable)';

const USAGE = `usage: taskmem ingest <recording.mcap | recording.db3 | bag directory> [--memories-out memories.mcap] [--ignore-crc] [--params-file taskmem.yaml] [--<parameter> <value>]…

Reads the camera, audio and pose topics the parameters name (camera.topic/type, audio.*, pose.*) from a rosbag2
recording — an MCAP file, a SQLite .db3 file (Humble's default storage), or a bag directory (its metadata.yaml
names the storage and files) — writes one memory per segment into the store (store.backend, store.path), and can write the
memories into an MCAP file to open beside the recording in Foxglove. Prints one line per memory stored on stdout,
progress on stderr. Stopping (Ctrl-C) keeps what is stored and cancels the model request in flight; running the
same command again resumes, retrying the segments that were cut off. The stages are those the ROS node runs with
the same parameters, task focus included: the store's task log (questions asked through ~/ask or taskmem ask) is
what focus.depth 1-3 follow.

With an embedding source (embedding.url or embedding.onnx_path), every memory is stored with its vector in the
same transaction. When the embedding endpoint fails, the memory is stored without its vector and embedded later:
after the next segments once the endpoint answers, by the next run, or by \`taskmem reindex\`; the summary says
how many still wait.

--memories-out never replaces the recording, the store (store.path, its -wal and -shm files) or the params file,
by any name (a symbolic or hard link): such a file is refused (exit 2).

An MCAP recording's CRCs are checked as it is read; a damaged recording stops the run (exit 2) naming the damaged
chunk and its offset. --ignore-crc reads past the damage with a warning, to memorize what can still be read.

exit codes: 0 every segment memorized; 1 some segments failed (recorded; a rerun retries them);
            2 bad arguments, configuration or recording; 3 policy endpoint unreachable and no fallback;
            4 store error; 5 --memories-out cannot be written; 130 interrupted (a rerun resumes)`;

export function run(args: string[]): Promise<number> {
  return runCommand('ingest', consoleOutput, async () => {
    const fromArgs = commandArgs(args, consoleOutput, {
      usage: USAGE,
      hint: 'run `taskmem ingest --help` for the options',
      parse: parseArgs,
    });
    if ('exit' in fromArgs) return fromArgs.exit;
    const {
      config,
      parsed: { recording, memoriesOut: memoriesOutArg, ignoreCrc },
      outputs,
    } = fromArgs;
    const logger = consoleLogger;
    // Checked before anything is opened: --memories-out never truncates the recording or the store.
    const memoriesOut =
      memoriesOutArg === null
        ? null
        : outputs
            .protect(...recordingFiles(recording).map((path) => ({ path, what: 'the recording being ingested' })))
            .file(memoriesOutArg, '--memories-out', 'memories.mcap');
    // The recording's problems are the user's first concern: report them before touching endpoint or store.
    const opened = await openRecording(recording);
    try {
      matchSensorTopics(opened, config);
    } finally {
      await opened.close();
    }
    if (!config.memorizer.url)
      logger.info(
        `memorizer.url is empty: memories are written by the embedded perception memorizer (${SegmentSight.detects(config) ? 'objects and people seen, ' : ''}text read in the frames, speech, pose)`,
      );
    await checkEndpoint(config.memorizer, { logger });

    const assembly = await Assembly.open(config, { logger });
    const stop = new AbortController();
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(EXIT.interrupted);
      logger.info(
        'stopping: the segment in flight is cancelled and recorded as failed; run the same command again to resume (Ctrl-C again quits at once)',
      );
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const progress = new ProgressLine(process.stderr);
    try {
      const focus = await assembly.taskFocus();
      const result = await ingestRecording({
        path: recording,
        config,
        store: assembly.store,
        openPipeline: (options) => assembly.pipeline({ ...options, focus }),
        memoriesOut: memoriesOut === null ? null : await memoryWriter(memoriesOut),
        ignoreCrc,
        logger,
        signal: stop.signal,
        onProgress: (p) => progress.show(progressText(p)),
        // One line per committed memory on stdout (its text terminal-safe, on that one line); progress and
        // messages go to stderr.
        onStored: (memory) => {
          progress.clear();
          process.stdout.write(`${terminalSafe(`stored ${memory.id} ${formatStamp(memory.start)} ${memory.text}`, { newlines: false })}\n`);
        },
      });
      progress.done();
      const line =
        `${result.stored} memories stored, ${result.skipped} already stored, ${result.failed} failed` +
        (result.fallback ? ` (${result.fallback} by the fallback memorizer)` : '') +
        ` — ${result.readSeconds.toFixed(0)} s of recording in ${result.wallSeconds.toFixed(1)} s (${result.speed.toFixed(1)}× real time), episode ${result.episode}` +
        (memoriesOut ? `; memories written to ${memoriesOut}` : '');
      logger.info(line);
      if (result.embedding) {
        const { line, warning } = embeddingSummary(result.embedding);
        logger.info(line);
        if (warning) logger.warn(warning);
      }
      if (result.interrupted) {
        logger.info('interrupted: run the same command again to resume');
        return EXIT.interrupted;
      }
      if (result.failed > 0) {
        logger.warn(`${result.failed} segment(s) failed and are recorded in the store; run the same command again to retry them`);
        return EXIT.segmentsFailed;
      }
      return EXIT.ok;
    } finally {
      progress.done();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await assembly.close();
    }
  });
}

/** The --memories-out file, created; a failure to create, write or close it is an output error (exit 5). */
async function memoryWriter(path: string): Promise<Pick<MemoryMcapWriter, 'write' | 'close'>> {
  const failed = (error: unknown) => outputFailure(`--memories-out ${path}`, error);
  let writer: MemoryMcapWriter;
  try {
    writer = await MemoryMcapWriter.create(path);
  } catch (error) {
    throw failed(error);
  }
  return {
    write: (memory) => writer.write(memory).catch((error: unknown) => Promise.reject(failed(error))),
    close: () => writer.close().catch((error: unknown) => Promise.reject(failed(error))),
  };
}

/** The progress line of an ingest. */
function progressText(p: IngestProgress): string {
  const eta = p.etaSeconds === null ? '?' : clock(p.etaSeconds);
  return (
    `segments ${p.stored + p.skipped + p.failed}/${p.expectedSegments} (${p.stored} stored, ${p.skipped} skipped, ${p.failed} failed)` +
    ` · ${clock(p.readSeconds)}/${clock(p.totalSeconds)} of recording · ${p.speed.toFixed(1)}× real time · ETA ${eta}`
  );
}

/** The recording, --memories-out and --ignore-crc. */
function parseArgs(rest: string[]): { recording: string; memoriesOut: string | null; ignoreCrc: boolean } {
  const positional: string[] = [];
  let memoriesOut: string | null = null;
  let ignoreCrc = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--ignore-crc') {
      ignoreCrc = true;
    } else if (arg === '--memories-out' || arg.startsWith('--memories-out=')) {
      memoriesOut = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (rest[++i] ?? '');
      if (memoriesOut === '') throw new UsageError('taskmem ingest: --memories-out needs a file name');
    } else if (arg.startsWith('-')) {
      throw new UsageError(`taskmem ingest: unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  return { recording: oneRecording('ingest', positional), memoriesOut, ignoreCrc };
}
