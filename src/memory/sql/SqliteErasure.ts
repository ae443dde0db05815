import type { Erasure } from './Erasure.js';
import type { SqliteConnection } from './SqliteConnection.js';

/**
 * SQLite's erasure: writes that delete run with `secure_delete` on, which overwrites freed cells and pages with
 * zeros (on only while they run: for every write it would add the freed pages' writes); `purge` truncates the
 * write-ahead log, which still holds the pages as they were, after copying the overwritten pages into the file.
 */
export class SqliteErasure implements Erasure {
  readonly #sql: SqliteConnection;
  /** Overwriting writes in progress: secure_delete stays on until the last ends. */
  #writes = 0;
  /** The connection's own setting, restored after them. */
  #setting: bigint | null = null;

  constructor(sql: SqliteConnection) {
    this.#sql = sql;
  }

  async overwriting<T>(write: () => Promise<T>): Promise<T> {
    if (this.#writes++ === 0) {
      await this.#sql.read((prepare) => {
        this.#setting ??= (prepare('PRAGMA secure_delete').get() as { secure_delete: bigint }).secure_delete;
        prepare('PRAGMA secure_delete = 1').run();
      });
    }
    try {
      return await write();
    } finally {
      if (--this.#writes === 0) await this.#sql.read((prepare) => prepare(`PRAGMA secure_delete = ${this.#setting}`).run());
    }
  }

  async purge(): Promise<boolean> {
    // Busy when another connection reads a snapshot that needs the log: its pages then stay until a later checkpoint.
    const checkpoint = await this.#sql.read((prepare) => prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: bigint });
    return checkpoint.busy === 0n;
  }
}
