import type { RosNanos } from '../time.js';

/** A frame held as the best so far for one or more targets; the same object for every target it is best for. */
export interface Candidate<F> {
  readonly stamp: RosNanos;
  readonly frame: F;
}

interface Target<F> {
  at: RosNanos;
  best?: Candidate<F>;
  settled: boolean;
}

/**
 * Chooses the keyframes of one segment [start, end) by stamp alone, never looking inside a frame: `count` targets
 * sit at the centres of equal slices of the segment, and each keeps the frame nearest to it (the earlier on a
 * tie). A target is settled once no frame that may still arrive can be nearer, that is once the horizon (the
 * earliest stamp still accepted) reaches its best frame's distance on the far side, or the segment's end. Settled
 * candidates are released for conversion at once, so conversion is spread over the segment and a frame that is not
 * chosen is never converted. Several targets may share a candidate when frames are sparse; it is released once. Once
 * every target is settled (the horizon reached the end), the candidates released over time are the segment's keyframes.
 */
export class KeyframeSelector<F> {
  readonly #end: RosNanos;
  readonly #targets: Target<F>[];
  /** Weak: a released candidate's frame must be freed once converted, not held until the segment closes. */
  readonly #released = new WeakSet<Candidate<F>>();

  constructor(start: RosNanos, end: RosNanos, count: number) {
    this.#end = end;
    const n = BigInt(count);
    this.#targets = Array.from({ length: count }, (_, j) => ({
      at: start + ((2n * BigInt(j) + 1n) * (end - start)) / (2n * n),
      settled: false,
    }));
  }

  /** Offers a frame with a stamp in [start, end) that is not earlier than the current horizon. */
  offer(stamp: RosNanos, frame: F): void {
    let candidate: Candidate<F> | undefined;
    for (const target of this.#targets) {
      if (target.settled) continue;
      if (target.best && !nearer(stamp, target.best.stamp, target.at)) continue;
      candidate ??= { stamp, frame };
      target.best = candidate;
    }
  }

  /** Settles every target no frame at or after `horizon` can improve; returns the candidates released by this call. */
  settle(horizon: RosNanos): Candidate<F>[] {
    const released: Candidate<F>[] = [];
    for (const target of this.#targets) {
      if (target.settled) continue;
      const { best } = target;
      const certain = horizon >= this.#end || (best !== undefined && horizon >= target.at + distance(best.stamp, target.at));
      if (!certain) continue;
      target.settled = true;
      delete target.best;
      if (best && !this.#released.has(best)) {
        this.#released.add(best);
        released.push(best);
      }
    }
    return released;
  }

  /** Frames held for targets not settled yet and not released: the memory this segment holds unconverted. */
  pending(): Candidate<F>[] {
    const held = new Set<Candidate<F>>();
    for (const target of this.#targets) {
      if (!target.settled && target.best && !this.#released.has(target.best)) held.add(target.best);
    }
    return [...held];
  }

  /** Forgets a pending candidate (the buffer is full); its targets may still take a later frame. */
  discard(candidate: Candidate<F>): void {
    for (const target of this.#targets) if (!target.settled && target.best === candidate) delete target.best;
  }
}

/** Whether `a` beats `b` for a target at `at`: nearer, or as near and earlier (the same whatever the arrival order). */
function nearer(a: RosNanos, b: RosNanos, at: RosNanos): boolean {
  const da = distance(a, at);
  const db = distance(b, at);
  return da < db || (da === db && a < b);
}

function distance(a: RosNanos, b: RosNanos): RosNanos {
  return a > b ? a - b : b - a;
}
