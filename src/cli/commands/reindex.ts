/**
 * `taskmem reindex`: embeds every memory of the store that has no vector of the configured embedding model, with
 * progress on stderr; resumable, and safe to stop with Ctrl-C.
 */
import { Assembly } from '../../assembly/Assembly.js';
import { ConfigError } from '../../config/schema.js';
import { reindexStore, type ReindexProgress } from '../../embed/reindexStore.js';
import { consoleLogger } from '../../log.js';
import { commandArgs, consoleOutput } from '../commandArgs.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';
import { clock, ProgressLine } from '../ProgressLine.js';

export const summary = 'embed the stored memories that have no vector of the embedding model (resumable)';

const USAGE = `usage: taskmem reindex [--params-file taskmem.yaml] [--<parameter> <value>]…

Embeds, with the embedding source of embedding.* (embedding.url and embedding.model, or embedding.onnx_path),
every memory of the store (store.backend, store.path or store.url) that has no vector of that model: memories
stored before an embedding source was configured, stored while the embedding endpoint was down, or — after a
change of embedding.model — all of them. Each vector is recorded with its model's name; vectors of the old model
stay in the store and are never compared with the new one's, so questions use the new model once its vectors are
there (taskmem ask says "full-text" until the first one is).

The node and taskmem ingest embed every memory as they store it and catch up on what the endpoint missed a
batch after each segment; reindex does it all at once. It may run while the node runs: they take turns through
a lease in the store and never embed one memory twice. Progress goes to stderr; each batch is committed as it is
done, so Ctrl-C (or a crash) loses at most the batch in flight and running the command again resumes.

exit codes: 0 every memory has a vector of the model; 1 the endpoint refused the text of some memories (named,
            they stay without a vector); 2 bad arguments or configuration (no embedding source);
            3 the embedding endpoint kept failing (a rerun resumes); 4 store error; 130 interrupted (a rerun resumes)`;

export function run(args: string[]): Promise<number> {
  return runCommand('reindex', consoleOutput, async () => {
    const fromArgs = commandArgs(args, consoleOutput, {
      usage: USAGE,
      hint: 'run `taskmem reindex --help` for the options',
      parse: (rest) => {
        if (rest.length > 0) throw new UsageError(`taskmem reindex: unexpected argument ${rest[0]}`);
        return null;
      },
    });
    if ('exit' in fromArgs) return fromArgs.exit;
    const { config } = fromArgs;
    if (!config.embedding.url && !config.embedding.onnx_path)
      throw new ConfigError(
        'taskmem reindex: no embedding source: set embedding.url (and embedding.model) or embedding.onnx_path, the ones the node and taskmem ask use',
      );
    const logger = consoleLogger;
    const assembly = await Assembly.open(config, { logger, storeMustExist: true });
    const stop = new AbortController();
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(EXIT.interrupted);
      logger.info('stopping: the batch in flight is cancelled; the vectors stored so far are kept (Ctrl-C again quits at once)');
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const progress = new ProgressLine(process.stderr);
    try {
      const backfill = assembly.embeddingBackfill({
        onRefused: (memory, failure) => {
          progress.clear();
          logger.warn(`memory ${memory.id}: the endpoint refused its text (${failure.detail}); it stays without a vector`);
        },
      })!;
      logger.info(`reindex ${assembly.storeDescription}: embedding with ${backfill.model}`);
      const result = await reindexStore({
        backfill,
        store: assembly.store,
        signal: stop.signal,
        logger,
        onProgress: (p) => progress.show(progressText(p)),
      });
      progress.done();
      logger.info(
        `${result.embedded} memories embedded with ${result.model} in ${result.wallSeconds.toFixed(1)} s` +
          `; ${result.left} of the store still without a vector of it` +
          (result.refused > 0 ? ` (${result.refused} refused by the endpoint)` : ''),
      );
      if (result.interrupted) {
        logger.info('interrupted: run the same command again to resume');
        return EXIT.interrupted;
      }
      if (result.failure) {
        logger.error(`the embedding endpoint kept failing (${result.failure.detail}); run the same command again to resume`);
        return EXIT.endpointUnreachable;
      }
      return result.refused > 0 ? EXIT.segmentsFailed : EXIT.ok;
    } finally {
      progress.done();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await assembly.close();
    }
  });
}

/** The progress line of a reindex. */
function progressText(p: ReindexProgress): string {
  const eta = p.etaSeconds === null ? '?' : clock(p.etaSeconds);
  return `memories ${p.embedded + p.refused}/${p.total} embedded (${p.refused} refused) · ${p.rate.toFixed(0)}/s · ETA ${eta}`;
}
