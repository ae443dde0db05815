import { redactCredentials } from './text/redactCredentials.js';
import { terminalSafe } from './text/terminalSafe.js';

/** Where stages write what they do. The ROS node passes the node logger; the CLI passes the console. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Logs to stderr, terminal-safe and with URL credentials redacted (see consoleOutput). */
export const consoleLogger: Logger = {
  debug: () => {},
  info: (m) => console.error(printable(m)),
  warn: (m) => console.error(`warning: ${printable(m)}`),
  error: (m) => console.error(`error: ${printable(m)}`),
};

function printable(message: string): string {
  return terminalSafe(redactCredentials(message));
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * Counts rejected or dropped inputs by cause and logs the first occurrence of each cause once, so a bad stream
 * says clearly what is wrong without flooding the log.
 */
export class CauseCounter {
  readonly #logger: Logger;
  readonly #counts = new Map<string, number>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Counts one occurrence of `cause`; logs `detail` the first time this cause is seen. */
  count(cause: string, detail: string): void {
    const n = (this.#counts.get(cause) ?? 0) + 1;
    this.#counts.set(cause, n);
    if (n === 1) this.#logger.warn(`${detail} (further ${cause} are counted, not logged)`);
  }

  get(cause: string): number {
    return this.#counts.get(cause) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}
