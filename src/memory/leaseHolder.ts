import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process as the holder of a lease in the store: `host:pid:nonce`. The nonce tells two runs of one process
 * apart; host and pid let another process of the same host see that the holder is dead (`isDeadHolder`).
 */
export function leaseHolder(): string {
  return `${hostname().replace(/[\s:]/g, '_')}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * Whether `holder` (made by `leaseHolder`) is a process of this host that no longer runs: its lease can be taken
 * at once instead of waiting for it to expire (a run killed with SIGKILL, then started again). A holder on another
 * host, or a pid that runs (possibly reused by another process), is taken to be alive.
 */
export function isDeadHolder(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname().replace(/[\s:]/g, '_') || !/^\d+$/.test(pid ?? '')) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The holder in words for an error: `pid 1234 on host-a`. */
export function describeHolder(holder: string): string {
  const [host, pid] = holder.split(':');
  return pid === undefined ? holder : `pid ${pid} on ${host}`;
}
