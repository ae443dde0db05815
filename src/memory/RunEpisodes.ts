import { EpisodeBusyError, type EpisodeClaims } from './EpisodeClaims.js';
import { leaseHolder } from './leaseHolder.js';

export interface RunEpisodesOptions {
  store: EpisodeClaims;
  robotId: string;
  /** What the run writes from: `recording:<content key>`, or `node:<holder>` for one run of the node. */
  source: string;
  /** How long a claim lasts without renewal (store.lease_s); renewed every third of it. */
  leaseMs: number;
  /** The number for the first episode when the store has none for the source (EpisodeClaim#adopt). */
  adopt?: number;
  /** Called once when the run no longer holds its episodes: its lease was taken after expiring, or renewing failed. */
  onLost?: (error: Error) => void;
  /** Wall-clock milliseconds; Date.now by default. */
  now?: () => number;
}

/**
 * The store episodes of one run (an ingest of a recording, or one run of the node), by ordinal: the run's first
 * episode, and one more each time its clock jumps back. Each is claimed from the store when first needed
 * (EpisodeClaims), under the run's lease, which is renewed in the background until `release`.
 */
export class RunEpisodes {
  readonly source: string;
  readonly #store: EpisodeClaims;
  readonly #robotId: string;
  readonly #holder: string;
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #onLost: (error: Error) => void;
  readonly #claimed = new Map<number, Promise<number>>();
  readonly #renewal: NodeJS.Timeout;
  #current: number;
  #currentOrdinal = 0;
  #lost = false;

  private constructor(options: RunEpisodesOptions, first: number, holder: string) {
    this.source = options.source;
    this.#store = options.store;
    this.#robotId = options.robotId;
    this.#holder = holder;
    this.#leaseMs = options.leaseMs;
    this.#now = options.now ?? Date.now;
    this.#onLost = options.onLost ?? (() => {});
    this.#current = first;
    this.#claimed.set(0, Promise.resolve(first));
    this.#renewal = setInterval(() => void this.#renew(), Math.max(1, Math.floor(this.#leaseMs / 3)));
    this.#renewal.unref();
  }

  /** Claims the run's first episode (rejecting when another live run holds it) and starts renewing the lease. */
  static async claim(options: RunEpisodesOptions): Promise<RunEpisodes> {
    const holder = leaseHolder();
    const first = await options.store.claimEpisode({
      robotId: options.robotId,
      source: options.source,
      ordinal: 0,
      holder,
      now: (options.now ?? Date.now)(),
      leaseMs: options.leaseMs,
      ...(options.adopt === undefined ? {} : { adopt: options.adopt }),
    });
    return new RunEpisodes(options, first, holder);
  }

  /** The run's first episode. */
  get first(): Promise<number> {
    return this.#claimed.get(0)!;
  }

  /** The episode of the newest ordinal claimed so far: the one being written. */
  get current(): number {
    return this.#current;
  }

  /** The store episode of the run's `ordinal`-th episode, claimed on first use. */
  episode(ordinal: number): Promise<number> {
    let claimed = this.#claimed.get(ordinal);
    if (!claimed) {
      claimed = this.#store
        .claimEpisode({
          robotId: this.#robotId,
          source: this.source,
          ordinal,
          holder: this.#holder,
          now: this.#now(),
          leaseMs: this.#leaseMs,
        })
        .then((episode) => {
          if (ordinal >= this.#currentOrdinal) {
            this.#currentOrdinal = ordinal;
            this.#current = episode;
          }
          return episode;
        });
      // A failed claim is tried again by the next segment that needs it.
      claimed.catch(() => this.#claimed.delete(ordinal));
      this.#claimed.set(ordinal, claimed);
    }
    return claimed;
  }

  /** Stops renewing and gives the lease up: another run of the same source may claim its episodes at once. */
  async release(): Promise<void> {
    clearInterval(this.#renewal);
    if (!this.#lost) await this.#store.releaseEpisodes({ robotId: this.#robotId, source: this.source, holder: this.#holder });
  }

  async #renew(): Promise<void> {
    if (this.#lost) return;
    let error: Error | null = null;
    try {
      const held = await this.#store.renewEpisodes({
        robotId: this.#robotId,
        source: this.source,
        holder: this.#holder,
        now: this.#now(),
        leaseMs: this.#leaseMs,
      });
      if (held === 0)
        error = new EpisodeBusyError(
          `another writer took the episodes of robot ${this.#robotId} (${this.source}) after this run's lease expired (store.lease_s ${this.#leaseMs / 1000} s): this run stops writing`,
        );
    } catch (failed) {
      error = failed instanceof Error ? failed : new Error(String(failed));
    }
    if (!error || this.#lost) return;
    this.#lost = true;
    clearInterval(this.#renewal);
    this.#onLost(error);
  }
}
