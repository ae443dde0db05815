/**
 * ROS time as integer nanoseconds. A bigint because nanoseconds since the epoch exceed 2^53; every stamp in
 * taskmem (segment bounds, memory times, question cut-offs) is one of these, taken from message headers.
 */
export type RosNanos = bigint;

export const NANOS_PER_SECOND = 1_000_000_000n;

/** builtin_interfaces/Time as it appears in messages. */
export interface RosTimeMsg {
  sec: number;
  nanosec: number;
}

export function fromRosTime(t: RosTimeMsg): RosNanos {
  return BigInt(t.sec) * NANOS_PER_SECOND + BigInt(t.nanosec);
}

export function toRosTime(ns: RosNanos): RosTimeMsg {
  const sec = ns / NANOS_PER_SECOND;
  const nanosec = ns - sec * NANOS_PER_SECOND;
  return { sec: Number(sec), nanosec: Number(nanosec) };
}

export function secondsToNanos(seconds: number): RosNanos {
  return BigInt(Math.round(seconds * 1e9));
}

export function nanosToSeconds(ns: RosNanos): number {
  return Number(ns) / 1e9;
}

/** ISO-8601 rendering of a ROS stamp (UTC, millisecond precision), for logs and prompts. */
export function formatStamp(ns: RosNanos): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}
