/**
 * `taskmem remember --again --recording <file.mcap>`: has the policy model write again what the perception
 * memorizer wrote (when no endpoint was configured, or while it was unreachable) and what failed, reading the
 * segments' frames and audio again from the recording they were ingested from.
 */
import { Assembly } from '../../assembly/Assembly.js';
import { openRecording } from '../../bag/openRecording.js';
import { matchSensorTopics } from '../../bag/RecordingSensors.js';
import type { Config } from '../../config/schema.js';
import { embeddingSummary } from '../../embed/embeddingSummary.js';
import { ingestRecording, recordingEpisode } from '../../ingest/RecordingIngest.js';
import type { RecordingIdentity } from '../../bag/McapRecording.js';
import { consoleLogger, type Logger } from '../../log.js';
import type { MemoryStore } from '../../memory/MemoryStore.js';
import { expandHome } from '../../memory/SqliteMemoryStore.js';
import { terminalSafe } from '../../text/terminalSafe.js';
import { formatStamp, type RosNanos } from '../../time.js';
import { commandArgs, consoleOutput, type CommandOutput } from '../commandArgs.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';

export const summary = 'have the policy write again what the perception memorizer wrote, and retry failed segments';

const USAGE = `usage: taskmem remember --again --recording <file.mcap> [--ignore-crc] [--params-file taskmem.yaml] [--<parameter> <value>]…

Re-memorizes with the policy model (memorizer.url and memorizer.model are required) the segments of a recording
whose memory the embedded perception memorizer wrote (no endpoint was configured, or it was unreachable), and
retries the segments that failed. Each new memory replaces the perception memory under the same id, so answers
and reports that cite it stay valid; a segment the policy fails on keeps its perception memory and is recorded as
failed for the next run. Segments the policy already wrote are skipped without asking the model.

  --again               required: says that stored memories are to be written again
  --recording <file>    the rosbag2 recording (MCAP, .db3 or bag directory) the memories were ingested from with
                        \`taskmem ingest\` or \`taskmem demo\` (the same recording, by content: a copy or a moved file
                        will do); the sensor parameters must match the ones it was ingested with, so that the
                        segments are the same
  --ignore-crc          read past CRC mismatches in a damaged recording, with a warning, instead of stopping

A memory holds no frames or audio (at most small thumbnails, with store.thumbnails), so nothing can be written
again without the recording: without --recording the command lists what would need it. Memories the ROS node
wrote from live topics cannot be redone from a bag recorded beside it: their segments began at other times.

exit codes: 0 every segment of the recording has a policy memory; 1 some segments failed (recorded; a rerun
            retries them); 2 bad arguments, configuration or recording, or no --recording; 3 policy endpoint
            unreachable; 4 store error`;

export function run(args: string[]): Promise<number> {
  return remember(args, consoleOutput);
}

/** The command with its output passed in; `logger` takes the pipeline's messages. Returns the exit code. */
export function remember(args: string[], io: CommandOutput, logger: Logger = consoleLogger): Promise<number> {
  return runCommand('remember', io, async () => {
    const fromArgs = commandArgs(args, io, { usage: USAGE, hint: 'run `taskmem remember --help` for the options', parse: recordingArg });
    if ('exit' in fromArgs) return fromArgs.exit;
    const {
      config: userConfig,
      parsed: { recording, ignoreCrc },
    } = fromArgs;
    // No fallback: a segment the policy cannot write keeps the memory it has.
    const config: Config = { ...userConfig, memorizer: { ...userConfig.memorizer, fallback: false } };
    // The recording's problems are reported as its own (exit 2) before the store is opened, as ingest does.
    let identity: RecordingIdentity | null = null;
    if (recording !== null) {
      const opened = await openRecording(recording);
      try {
        matchSensorTopics(opened, config);
        identity = opened.identity;
      } finally {
        await opened.close();
      }
    }
    const assembly = await Assembly.open(config, { logger });
    const { store } = assembly;
    try {
      if (recording === null || identity === null) {
        io.err(await withoutRecording(store, config.robot_id));
        return EXIT.badInput;
      }
      // The recording's episode in this store: only an ingest of the same recording (by content) wrote memories
      // with its ids.
      const episode = await recordingEpisode(store, config.robot_id, identity);
      if (episode === null)
        throw new UsageError(
          `taskmem remember: ${recording} was never ingested into this store (${config.store.backend === 'sqlite' ? expandHome(config.store.path) : config.store.backend}); give the recording the memories were ingested from, unchanged`,
        );
      await assembly.checkEndpoint('nothing was changed');

      const failedBefore = new Set((await store.failures(config.robot_id)).filter((f) => f.episode === episode).map((f) => f.id));
      const focus = await assembly.taskFocus();
      const redone = new Set<string>();
      let replaced = 0;
      let retried = 0;
      const result = await ingestRecording({
        path: recording,
        config,
        store,
        openPipeline: async (options) => {
          const opened = await assembly.pipeline({
            ...options,
            focus,
            redo: (stored) => {
              if (stored.source !== 'perception') return false;
              redone.add(stored.id);
              return true;
            },
          });
          io.out(
            `re-memorizing ${recording} (episode ${episode}) with ${opened.memorizer.description}: perception memories and ${failedBefore.size} failed segment(s)`,
          );
          return opened;
        },
        ignoreCrc,
        logger,
        onStored: (memory) => {
          const was = redone.has(memory.id)
            ? 'perception memory replaced'
            : failedBefore.has(memory.id)
              ? 'failed segment memorized'
              : 'new';
          if (redone.has(memory.id)) replaced++;
          else if (failedBefore.has(memory.id)) retried++;
          io.out(terminalSafe(`${was}: ${memory.id} ${formatStamp(memory.start)} ${memory.text}`, { newlines: false }));
        },
      });
      const kept = redone.size - replaced;
      io.out(
        `${replaced} perception memories replaced by the policy's, ${retried} failed segments memorized, ${result.skipped} already written by the policy, ` +
          `${result.failed} failed${kept > 0 ? ` (${kept} of them keep their perception memory)` : ''}`,
      );
      if (result.embedding) {
        const { line, warning } = embeddingSummary(result.embedding);
        io.out(line);
        if (warning) io.err(`taskmem remember: ${warning}`);
      }
      if (result.failed > 0) {
        io.err(`taskmem remember: ${result.failed} segment(s) failed and are recorded; run the same command again to retry them`);
        return EXIT.segmentsFailed;
      }
      return EXIT.ok;
    } finally {
      await assembly.close();
    }
  });
}

/** What would need the recording: the perception memories and failed segments in the store, by episode. */
async function withoutRecording(store: MemoryStore, robotId: string): Promise<string> {
  const perception = (await store.recall({ robotId, limit: 100_000 })).memories
    .map((s) => s.memory)
    .filter((m) => m.source === 'perception');
  const failures = await store.failures(robotId);
  const episodes = new Map<number, { perception: number; failed: number; from: RosNanos; to: RosNanos }>();
  for (const item of [
    ...perception.map((m) => ({ ...m, kind: 'perception' as const })),
    ...failures.map((f) => ({ ...f, kind: 'failed' as const })),
  ]) {
    const e = episodes.get(item.episode) ?? { perception: 0, failed: 0, from: item.start, to: item.end };
    e[item.kind]++;
    if (item.start < e.from) e.from = item.start;
    if (item.end > e.to) e.to = item.end;
    episodes.set(item.episode, e);
  }
  const lines = [...episodes.entries()]
    .sort(([a], [b]) => a - b)
    .map(
      ([n, e]) =>
        `  episode ${n}: ${e.perception} perception memories, ${e.failed} failed segments, ${formatStamp(e.from)} – ${formatStamp(e.to)}`,
    );
  return [
    `taskmem remember: --recording <file.mcap> is needed: a memory keeps no frames or audio, so a segment can only be written again from the recording it was ingested from.`,
    lines.length === 0
      ? `Robot ${robotId} has no perception memories and no failed segments in this store.`
      : `Robot ${robotId} has, in this store:\n${lines.join('\n')}`,
  ].join('\n');
}

/**
 * --recording <file> (null when not given) and --ignore-crc, after checking that --again is said and a policy
 * endpoint is set.
 */
function recordingArg(rest: string[], config: Config): { recording: string | null; ignoreCrc: boolean } {
  let again = false;
  let ignoreCrc = false;
  let recording: string | null = null;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--again') again = true;
    else if (arg === '--ignore-crc') ignoreCrc = true;
    else if (/^--recording(=|$)/.test(arg)) {
      recording = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (rest[++i] ?? '');
      if (recording === '') throw new UsageError('taskmem remember: --recording needs a file');
    } else throw new UsageError(`taskmem remember: unknown ${arg.startsWith('-') ? 'option' : 'argument'} ${arg}`);
  }
  if (!again) throw new UsageError('taskmem remember: say --again (stored memories are written again and replaced)');
  if (!config.memorizer.url)
    throw new UsageError(
      'taskmem remember: memorizer.url is empty; --again re-memorizes with the policy model: give --memorizer.url http://host:8000/v1 and --memorizer.model <served model>',
    );
  return { recording, ignoreCrc };
}
