import type { Segment } from '../segment/Segment.js';

export type DropPolicy = 'drop_oldest' | 'drop_newest';

/**
 * Segments waiting for the memorizer, at most `capacity` of them. `offer` never blocks: when the queue is full
 * the drop policy picks the segment that is given up and returns it, so the caller can count and report it.
 * `room()` lets a caller that can wait (a recording, unlike a live stream) wait instead of dropping.
 */
export class SegmentQueue {
  readonly #capacity: number;
  readonly #policy: DropPolicy;
  readonly #items: Segment[] = [];
  #takers: ((segment: Segment | null) => void)[] = [];
  #roomWaiters: (() => void)[] = [];
  #closed = false;

  constructor({ capacity, policy }: { capacity: number; policy: DropPolicy }) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`SegmentQueue: capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
    this.#policy = policy;
  }

  get length(): number {
    return this.#items.length;
  }

  /** Adds a segment; returns the segment dropped to make room (maybe the offered one), or null. */
  offer(segment: Segment): Segment | null {
    if (this.#closed) throw new Error('SegmentQueue#offer: the queue is closed');
    const taker = this.#takers.shift();
    if (taker) {
      taker(segment);
      return null;
    }
    if (this.#items.length < this.#capacity) {
      this.#items.push(segment);
      return null;
    }
    if (this.#policy === 'drop_newest') return segment;
    this.#items.push(segment);
    return this.#items.shift()!;
  }

  /** Resolves when an `offer` would not drop anything. */
  async room(): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#closed) await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
  }

  /** The oldest waiting segment; waits for one. Resolves null once the queue is closed and empty. */
  async take(): Promise<Segment | null> {
    const segment = this.#items.shift();
    if (segment) {
      this.#roomWaiters.shift()?.();
      return segment;
    }
    if (this.#closed) return null;
    return new Promise((resolve) => this.#takers.push(resolve));
  }

  /** No more offers; takers get the remaining segments, then null. */
  close(): void {
    this.#closed = true;
    for (const taker of this.#takers) taker(null);
    this.#takers = [];
    for (const waiter of this.#roomWaiters) waiter();
    this.#roomWaiters = [];
  }

  /** Removes and returns every waiting segment. */
  clear(): Segment[] {
    const items = this.#items.splice(0);
    for (const waiter of this.#roomWaiters.splice(0)) waiter();
    return items;
  }
}
