/**
 * The seam between the store's logic, written once, and a SQL backend. Statements name their parameters
 * `@name` and take them from an object; each backend binds them its own way (SQLite natively, PostgreSQL as $n).
 * What both SQL dialects write alike is written once in the role classes; the few fragments they write
 * differently come from `SqlDialect`.
 */

/** A value bound to a statement parameter; lists come from `SqlDialect.list`. */
export type SqlValue = string | number | bigint | Buffer | null | readonly string[];
export type SqlParams = Readonly<Record<string, SqlValue | undefined>>;

/** An integer column as read: bigint from SQLite and PostgreSQL BIGINT, number from PostgreSQL INTEGER. */
export type SqlInteger = bigint | number;
/** A boolean column as read: PostgreSQL BOOLEAN, or SQLite's 0 and 1. */
export type SqlBoolean = boolean | SqlInteger;

export function sqlBoolean(value: SqlBoolean): boolean {
  return typeof value === 'boolean' ? value : Number(value) !== 0;
}

/** Runs statements. Row types are the callers' declarations of what the statement selects. */
export interface SqlExecutor {
  all<Row>(sql: string, params?: SqlParams): Promise<Row[]>;
  /** The first row, or undefined. */
  get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined>;
  /** Runs a statement that returns no rows; resolves to how many rows it changed. */
  run(sql: string, params?: SqlParams): Promise<number>;
}

/** What the two SQL dialects write differently in statements the role classes share. */
export interface SqlDialect {
  /** A condition: `expression` is in the list bound to `@param` (a value made by `list`). */
  inList(expression: string, param: string, type: 'bigint' | 'text'): string;
  list(values: readonly (number | string)[]): SqlValue;
  /** Appended to a SELECT in a transaction to lock the rows read ('' where the transaction locks the database). */
  readonly forUpdate: string;
  /**
   * A statement that takes a lock named by `@name` until the transaction ends, so that writers of one thing (a
   * robot's episodes) serialise while others go on; '' where a transaction locks the whole database.
   */
  readonly lock: string;
  /**
   * Selects `seq` of the memories after `@after` that have no vector of `@model`, ascending, at most `@rows`: the
   * dialect's fastest anti-join when nearly every memory has one (see MemoryRecords#unembedded).
   */
  readonly unembedded: string;
}

/**
 * One database. Statements outside `transaction` see only committed data. Callers must not use the connection
 * itself inside `work` (use `tx`): on SQLite it would wait for the transaction to end.
 */
export interface SqlConnection extends SqlExecutor {
  /** Who runs on this connection, for errors: the store's class name. */
  readonly owner: string;
  readonly dialect: SqlDialect;
  /** Calls `visit` with each row in turn (SQLite reads them one at a time); resolves to how many there were. */
  each<Row>(sql: string, params: SqlParams, visit: (row: Row) => void): Promise<number>;
  /** Runs `work` in one transaction that holds the write lock from its start; commits, or rolls back on error. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Rejects when the database can no longer be written safely (see MemoryStore#verify). */
  verify(): Promise<void>;
  close(): Promise<void>;
}
