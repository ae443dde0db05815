import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type Logger } from '../log.js';
import type { MemoryRecords } from '../memory/MemoryRecords.js';
import type { EmbeddingBackfill } from './EmbeddingBackfill.js';
import type { EmbeddingFailure } from './embeddingFailure.js';

export interface ReindexProgress {
  /** The embedding model the vectors are made and recorded for. */
  model: string;
  /** Memories without a vector of the model when the run began. */
  total: number;
  /** Vectors stored by this run. */
  embedded: number;
  /** Memories whose text the endpoint refused (HTTP 400, 413, 422): they stay without a vector. */
  refused: number;
  wallSeconds: number;
  /** Vectors per wall second. */
  rate: number;
  /** Wall seconds left at that rate; null before there is a rate. */
  etaSeconds: number | null;
}

export interface ReindexSummary extends ReindexProgress {
  /** Memories of the store still without a vector of the model at the end (refused ones included). */
  left: number;
  /** Stopped by the signal; a rerun resumes. */
  interrupted: boolean;
  /** Why the run gave up: the endpoint failed `attempts` batches in a row; null when it did not give up. */
  failure: EmbeddingFailure | null;
}

export interface ReindexOptions {
  backfill: EmbeddingBackfill;
  store: Pick<MemoryRecords, 'countUnembedded'>;
  /** Aborting stops at once: the request in flight is cancelled, the batches stored are kept. */
  signal?: AbortSignal;
  onProgress?: (progress: ReindexProgress) => void;
  logger?: Logger;
  /** Failed batches in a row (the endpoint down, timing out, replying badly) before the run gives up. */
  attempts?: number;
  /** Wait after the first failed batch, doubled after each further one in a row. */
  retryDelayMs?: number;
  /** Wait before asking again while another process holds the model's lease. */
  busyWaitMs?: number;
  now?: () => number;
}

/**
 * Embeds every memory of a store that has no vector of the backfill's model, a batch at a time, until none is
 * left: after an embedding source is first configured, after the endpoint was down for a while, or after a change
 * of embedding model (the new model's vectors are made for every memory; the old model's stay, under its name,
 * and are never compared with the new). Each batch is committed as it is done, so a stopped run loses at most the
 * batch in flight and a rerun resumes. While another process (the node, an ingest) holds the model's lease it
 * waits: that process is embedding the same memories.
 */
export async function reindexStore(options: ReindexOptions): Promise<ReindexSummary> {
  const {
    backfill,
    store,
    signal,
    onProgress,
    logger = silentLogger,
    attempts = 4,
    retryDelayMs = 2000,
    busyWaitMs = 5000,
    now = Date.now,
  } = options;
  const model = backfill.model;
  const began = now();
  const total = await store.countUnembedded(model);
  const embeddedBefore = backfill.stored;
  const progress = (): ReindexProgress => {
    const wallSeconds = (now() - began) / 1000;
    const embedded = backfill.stored - embeddedBefore;
    const rate = wallSeconds > 0 ? embedded / wallSeconds : 0;
    const remaining = Math.max(0, total - embedded - backfill.refused);
    return { model, total, embedded, refused: backfill.refused, wallSeconds, rate, etaSeconds: rate > 0 ? remaining / rate : null };
  };
  let failure: EmbeddingFailure | null = null;
  let failedInRow = 0;
  let waitedForLease = false;
  const pause = (ms: number) => sleep(ms, undefined, signal ? { signal } : {}).catch(() => {});
  while (!signal?.aborted) {
    const step = await backfill.step(signal);
    if (step.kind === 'done') break;
    if (step.kind === 'embedded') {
      failedInRow = 0;
      onProgress?.(progress());
      continue;
    }
    if (step.kind === 'busy') {
      if (!waitedForLease)
        logger.info(`reindex ${model}: another process holds the lease on embedding this store's memories; waiting for it`);
      waitedForLease = true;
      await pause(busyWaitMs);
      continue;
    }
    if (step.failure.cause === 'cancelled') break;
    failedInRow++;
    if (failedInRow >= attempts) {
      failure = step.failure;
      break;
    }
    const delay = retryDelayMs * 2 ** (failedInRow - 1);
    logger.warn(`reindex ${model}: a batch failed (${step.failure.detail}); trying again in ${(delay / 1000).toFixed(0)} s`);
    await pause(delay);
  }
  return { ...progress(), left: await store.countUnembedded(model), interrupted: signal?.aborted ?? false, failure };
}
