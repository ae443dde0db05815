import { statSync } from 'node:fs';

/**
 * Whether a SQLite store's file is still the file that was opened. SQLite keeps writing through its open handle
 * to a file that was deleted, moved or replaced under it, and every later commit would be lost with that file:
 * the guard compares the device and inode at the path with those found at opening, before each commit.
 * Once the file is found gone, the guard stays failed, even if a file appears at the path again.
 */
export class StoreFileGuard {
  readonly #file: string;
  readonly #dev: number;
  readonly #ino: number;
  #gone: Error | null = null;

  /** Reads the identity of `file`, which must exist (the database has just opened it). */
  constructor(file: string) {
    this.#file = file;
    const { dev, ino } = statSync(file);
    this.#dev = dev;
    this.#ino = ino;
  }

  /** Throws when the file at the path is not the one opened (or the guard failed before). */
  check(): void {
    if (this.#gone) throw this.#gone;
    let found: { dev: number; ino: number; nlink: number } | null;
    try {
      found = statSync(this.#file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      found = null;
    }
    if (found && found.dev === this.#dev && found.ino === this.#ino && found.nlink > 0) return;
    this.#gone = new Error(
      `the store file ${this.#file} was ${found ? 'replaced by another file' : 'deleted or moved'} while this process had it open; ` +
        'nothing more is written to it (memories stored since it went are not in any file): put the store back at that path, or point store.path at it, and run again',
    );
    throw this.#gone;
  }
}
