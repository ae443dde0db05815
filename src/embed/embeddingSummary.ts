import type { EmbeddingCounts } from './MemoryEmbedder.js';

/**
 * What a run's embedding did, in the words of the summary an offline command prints at its end: the line, and
 * a warning when memories of the store still have no vector of the model (null when every one has).
 */
export function embeddingSummary(counts: EmbeddingCounts): { line: string; warning: string | null } {
  const failures = Object.entries(counts.failures)
    .map(([cause, n]) => `${n} ${cause}`)
    .join(', ');
  const line =
    `embedding ${counts.model}: ${counts.embedded} memories stored with their vector, ${counts.deferred} without` +
    (counts.caughtUp > 0 ? `, ${counts.caughtUp} stored without one embedded since` : '') +
    (failures ? ` (failed requests: ${failures})` : '');
  const pending = counts.pending ?? 0;
  const warning =
    pending > 0
      ? `${pending} memories of the store have no vector of ${counts.model} yet; they are embedded a batch per segment by ` +
        'the next run, or all at once by `taskmem reindex` with the same embedding.* parameters'
      : null;
  return { line, warning };
}
