/**
 * Leases on the work of embedding stored memories, so that the catch-ups of several processes on one store (the
 * node, an ingest, `taskmem reindex`) never list and embed the same memories: one lease per embedding model,
 * held by one process at a time.
 */
export interface EmbeddingLeases {
  /**
   * Takes or extends the lease on embedding the memories without a vector of `model`: `owner` holds it for
   * `ttlMs` from `now` when it was free, expired or already `owner`'s; returns whether `owner` holds it now. A
   * holder that dies keeps it until it expires.
   */
  leaseEmbedding(model: string, lease: EmbeddingLease): Promise<boolean>;
  /** Gives the lease of `model` up if `owner` holds it. */
  releaseEmbedding(model: string, owner: string): Promise<void>;
}

/** Who asks for a model's embedding lease, and for how long. */
export interface EmbeddingLease {
  /** One word, unique among the processes on the store (host, process, instance). */
  owner: string;
  /** Wall-clock milliseconds since the epoch; the processes on one store are assumed to agree on it within seconds. */
  now: number;
  ttlMs: number;
}
