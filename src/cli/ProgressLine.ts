/**
 * One progress line on stderr, rewritten in place on a terminal and printed every few seconds otherwise (a log
 * file or a CI job gets a line now and then, not a line per update).
 */
export class ProgressLine {
  readonly #out: NodeJS.WriteStream;
  #shown = false;
  #lastPrinted = 0;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  show(text: string): void {
    if (this.#out.isTTY) {
      this.#out.write(`\r${text}\x1b[K`);
      this.#shown = true;
    } else if (Date.now() - this.#lastPrinted >= 5000) {
      this.#lastPrinted = Date.now();
      this.#out.write(`${text}\n`);
    }
  }

  /** Erases the line so that another line can be printed. */
  clear(): void {
    if (this.#shown) this.#out.write('\r\x1b[K');
  }

  done(): void {
    if (this.#shown) this.#out.write('\n');
    this.#shown = false;
  }
}

/** Seconds as m:ss. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
