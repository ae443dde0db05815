/**
 * Episode numbers handed out by the store, so that two writers of one robot (two ingests, an ingest beside the
 * node) never write into the same episode: memory ids are (robot, episode, segment start), and recordings made
 * in simulation start at the same stamps, so a shared episode would overwrite memories.
 *
 * A source is what a run writes from: a recording (its content, so a copied or moved file is the same source) or
 * one run of the node. Each source has episodes by ordinal (a clock that jumps back starts another); the store
 * numbers each on first claim, one past the highest episode of the robot, under a lock per (store, robot). A
 * claim is a lease: while its holder renews it, another holder's claim of the same source is refused.
 */
export interface EpisodeClaims {
  /**
   * The episode of `claim.source`'s ordinal-th episode, numbered now if it has none, leased to `claim.holder`
   * until `now + leaseMs`. Rejects with EpisodeBusyError when another holder's lease on it has not expired and
   * that holder is not known to be dead (a process of this host that no longer runs).
   */
  claimEpisode(claim: EpisodeClaim): Promise<number>;
  /** Extends the holder's leases on the source's episodes; resolves to how many it holds (0: its leases were taken). */
  renewEpisodes(lease: EpisodeLease): Promise<number>;
  /** Gives up the holder's leases on the source's episodes; the episodes stay the source's. */
  releaseEpisodes(lease: Omit<EpisodeLease, 'now' | 'leaseMs'>): Promise<void>;
  /** The episode the source's ordinal-th episode was given, or null when it has none. */
  claimedEpisode(robotId: string, source: string, ordinal: number): Promise<number | null>;
}

/** Who holds a source's episodes, and until when. */
export interface EpisodeLease {
  robotId: string;
  source: string;
  /** One word unique to the process: `host:pid:nonce` (see `episodeHolder`). */
  holder: string;
  /** Wall-clock milliseconds since the epoch; the writers of one store are assumed to agree on it within seconds. */
  now: number;
  leaseMs: number;
}

export interface EpisodeClaim extends EpisodeLease {
  ordinal: number;
  /**
   * The number to give the episode when it has none and no other source has this number (a store written before
   * episodes were claimed: the episode an earlier ingest of the same recording used).
   */
  adopt?: number;
}

/** Another holder's lease on the source's episode has not expired. */
export class EpisodeBusyError extends Error {
  override name = 'EpisodeBusyError';
}
