import type Database from 'better-sqlite3';
import type { SqlConnection, SqlDialect, SqlExecutor, SqlParams } from './SqlConnection.js';

/** Prepares a statement on the connection (cached). */
export type Prepare = (sql: string) => Database.Statement;

const SQLITE_DIALECT: SqlDialect = {
  inList: (expression, param) => `${expression} IN (SELECT value FROM json_each(@${param}))`,
  list: (values) => JSON.stringify(values),
  // BEGIN IMMEDIATE has taken the database's write lock.
  forUpdate: '',
  lock: '',
  // A compound SELECT ordered like both of its inputs runs as a merge (memories in row order against the vectors'
  // (model, seq) key), without a lookup per memory: at 10^6 memories, about a third of the time NOT EXISTS takes.
  unembedded: `SELECT seq FROM memories WHERE seq > @after EXCEPT SELECT seq FROM memory_vectors WHERE model = @model AND seq > @after
    ORDER BY 1 LIMIT @rows`,
};

/**
 * A better-sqlite3 database as a SqlConnection. better-sqlite3 runs each statement synchronously on one
 * connection, so a transaction whose work awaits between statements would otherwise let other callers' statements
 * run inside it (seeing its uncommitted rows, or joining it): while a transaction is open, statements from
 * outside it wait for its end. Each waiter checks again when it wakes, and then runs without yielding: several
 * may wait for one transaction, and the first to wake may open the next. Statements are prepared once per
 * connection.
 */
export class SqliteConnection implements SqlConnection {
  readonly dialect = SQLITE_DIALECT;
  readonly owner: string;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #guard: { check(): void } | null;
  /** Settles when the open transaction ends; null when none is open. */
  #transaction: Promise<void> | null = null;
  readonly #inTransaction: SqlExecutor = {
    all: async <Row>(sql: string, params?: SqlParams) => this.#all<Row>(sql, params),
    get: async <Row>(sql: string, params?: SqlParams) => this.#get<Row>(sql, params),
    run: async (sql: string, params?: SqlParams) => this.#run(sql, params),
  };

  /**
   * `guard` (the file's StoreFileGuard) is checked before every write is committed (each `run`, each
   * transaction's COMMIT) and by `verify`: a write to a file that is gone is rolled back and rejects.
   */
  constructor(db: Database.Database, owner: string, guard: { check(): void } | null = null) {
    this.#db = db;
    this.owner = owner;
    this.#guard = guard;
  }

  async all<Row>(sql: string, params?: SqlParams): Promise<Row[]> {
    while (this.#transaction) await this.#transaction;
    return this.#all<Row>(sql, params);
  }

  async get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined> {
    while (this.#transaction) await this.#transaction;
    return this.#get<Row>(sql, params);
  }

  async run(sql: string, params?: SqlParams): Promise<number> {
    while (this.#transaction) await this.#transaction;
    return this.#run(sql, params);
  }

  async each<Row>(sql: string, params: SqlParams, visit: (row: Row) => void): Promise<number> {
    while (this.#transaction) await this.#transaction;
    let count = 0;
    for (const row of this.statement(sql).iterate(params) as IterableIterator<Row>) {
      visit(row);
      count++;
    }
    return count;
  }

  /**
   * Runs synchronous work on the database itself, outside any transaction: for SQLite-only reads that need
   * better-sqlite3's own API (plucked columns, iteration that stops early).
   */
  async read<T>(work: (prepare: Prepare) => T): Promise<T> {
    while (this.#transaction) await this.#transaction;
    return work((sql) => this.statement(sql));
  }

  /** A prepared statement, compiled once per connection (preparing costs about as much as a small insert). */
  statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    while (this.#transaction) await this.#transaction;
    let end!: () => void;
    this.#transaction = new Promise((resolve) => (end = resolve));
    try {
      this.statement('BEGIN IMMEDIATE').run();
      try {
        const result = await work(this.#inTransaction);
        this.#guard?.check();
        this.statement('COMMIT').run();
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.statement('ROLLBACK').run();
        throw error;
      }
    } finally {
      this.#transaction = null;
      end();
    }
  }

  async verify(): Promise<void> {
    this.#guard?.check();
  }

  async close(): Promise<void> {
    while (this.#transaction) await this.#transaction;
    if (!this.#db.open) return;
    try {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A full disk fails the checkpoint; the commits are safe in the write-ahead log, which the next open reads.
      // Closing must not replace the error that stopped the work (the full disk itself) with its own.
    }
    this.#db.close();
  }

  #all<Row>(sql: string, params: SqlParams = {}): Row[] {
    return this.statement(sql).all(params) as Row[];
  }

  #get<Row>(sql: string, params: SqlParams = {}): Row | undefined {
    return this.statement(sql).get(params) as Row | undefined;
  }

  #run(sql: string, params: SqlParams = {}): number {
    // Outside a transaction, the statement commits by itself.
    if (!this.#db.inTransaction) this.#guard?.check();
    return this.statement(sql).run(params).changes;
  }
}
