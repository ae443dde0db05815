import type { Erasure } from './Erasure.js';
import type { SqlConnection } from './SqlConnection.js';

/**
 * PostgreSQL's erasure: a deleted or replaced row stays in its table's files as a dead version until the table is
 * rewritten, so `purge` rewrites the tables (VACUUM FULL, which cannot run in a transaction). The server's
 * write-ahead log keeps the rows until it recycles its segments; that is the server's, not the store's, to erase.
 */
export class PostgresErasure implements Erasure {
  readonly #sql: SqlConnection;

  constructor(sql: SqlConnection) {
    this.#sql = sql;
  }

  overwriting<T>(write: () => Promise<T>): Promise<T> {
    return write();
  }

  async purge(tables: readonly string[]): Promise<boolean> {
    await this.#sql.run(`VACUUM (FULL) ${tables.join(', ')}`);
    return true;
  }
}
