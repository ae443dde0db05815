import pg from 'pg';
import type { SqlConnection, SqlDialect, SqlExecutor, SqlParams, SqlValue } from './SqlConnection.js';

const POSTGRES_DIALECT: SqlDialect = {
  inList: (expression, param, type) => `${expression} = ANY(CAST(@${param} AS ${type}[]))`,
  list: (values) => values.map(String),
  forUpdate: ' FOR UPDATE',
  // Transaction-scoped advisory lock on a 64-bit hash of the name (a collision only serialises two names more).
  lock: 'SELECT pg_advisory_xact_lock(hashtextextended(@name, 0))',
  // The planner turns this into an anti-join over the two keys' indexes, stopping at the limit.
  unembedded: `SELECT m.seq FROM memories m
    WHERE m.seq > @after AND NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.model = @model AND v.seq = m.seq)
    ORDER BY m.seq LIMIT @rows`,
};

const INT8_OID = 20;

/** BIGINT (int8) as bigint; every other type as node-postgres parses it. */
function typeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  return oid === INT8_OID ? BigInt : (pg.types.getTypeParser(oid, format) as (value: string) => unknown);
}

/** How long a query keeps trying while the server cannot be reached (a restart, a failover), before it fails. */
const RECONNECT_MS = 60_000;
/** Waits between tries, growing to the last. */
const RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000];

/**
 * Whether `error` says the server could not be reached or ended the session (SQLSTATE class 08, a shutdown or a
 * server still starting: 57P01-57P03), as opposed to an error of the statement itself or a timeout.
 */
function connectionLost(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  // A timeout is not a lost connection: the statement may have run (or still runs), and its bound is the user's.
  if (isReadTimeout(error) || (typeof message === 'string' && /timeout|timed out/i.test(message))) return false;
  if (typeof code === 'string' && (/^08/.test(code) || /^57P0[123]$/.test(code))) return true;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return typeof message === 'string' && /^Connection terminated|connection error and is not queryable/.test(message);
}

/** A statement with its `@name` parameters numbered: `$n` is `names[n - 1]`. */
interface Numbered {
  text: string;
  names: string[];
}

export interface PostgresConnectionOptions {
  url: string;
  maxConnections: number;
  owner: string;
  /** Longest wait for a connection (store.connect_timeout_s). */
  connectTimeoutMs: number;
  /**
   * Longest a statement runs before the server cancels it, and (a second more) longest the client waits for an
   * answer before giving up on a server that stopped answering (store.query_timeout_s).
   */
  queryTimeoutMs: number;
  /** Told of each call that found the server unreachable and is tried again (see the constructor). */
  onReconnecting?: (error: Error) => void;
}

/** The client's read timeout is the server's statement timeout plus this, so a slow statement is cancelled by the server first. */
const READ_TIMEOUT_MARGIN_MS = 1000;

/** The error node-postgres raises when its read timeout expires. */
const READ_TIMEOUT = 'Query read timeout';

/** Whether the client gave up waiting for the server's answer (the error itself or, explained, its cause). */
function isReadTimeout(error: unknown): boolean {
  return (
    error instanceof Error && (error.message === READ_TIMEOUT || (error.cause instanceof Error && error.cause.message === READ_TIMEOUT))
  );
}

/** Something close to a socket, to end a connection whose server no longer answers. */
interface WithSocket {
  connection?: { stream?: { destroy(): void } };
}

/**
 * A node-postgres pool as a SqlConnection: `@name` parameters become `$1…` (the same name, the same number;
 * `@@`, the full-text match operator, is left alone), BIGINT columns are read as bigint (ROS nanosecond stamps
 * exceed 2^53), and each transaction runs on a connection of its own.
 *
 * Every call is bounded: connecting by `connectTimeoutMs`, each statement by `queryTimeoutMs` (the server's
 * statement_timeout, and the client's read timeout a second later for a server that stopped answering), closing
 * too. A timeout rejects with a message naming the parameter to change.
 */
export class PostgresConnection implements SqlConnection {
  readonly dialect = POSTGRES_DIALECT;
  readonly owner: string;
  readonly pool: pg.Pool;
  readonly #numbered = new Map<string, Numbered>();
  readonly #connectTimeoutMs: number;
  readonly #queryTimeoutMs: number;
  /** Open connections, to end them without the server's goodbye when it no longer answers. */
  readonly #clients = new Set<pg.PoolClient>();

  readonly #onReconnecting: (error: Error) => void;

  /**
   * `onReconnecting` is told of each call that found the server unreachable and is being tried again; a call
   * keeps trying for a minute (RECONNECT_MS), so a server restart or failover costs the robot a pause, not its
   * memories. A timeout (connecting, a statement, the server's answer) is not retried: it ends the call with the
   * parameter to change named.
   */
  constructor({ url, maxConnections, owner, connectTimeoutMs, queryTimeoutMs, onReconnecting = () => {} }: PostgresConnectionOptions) {
    this.owner = owner;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#queryTimeoutMs = queryTimeoutMs;
    this.#onReconnecting = onReconnecting;
    this.pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: Math.round(queryTimeoutMs),
      query_timeout: Math.round(queryTimeoutMs) + READ_TIMEOUT_MARGIN_MS,
      // A peer that vanishes without closing (a cut cable, a powered-off host) is noticed by TCP keep-alive.
      keepAlive: true,
    });
    this.pool.on('connect', (client) => this.#clients.add(client));
    this.pool.on('remove', (client) => this.#clients.delete(client));
  }

  async all<Row>(sql: string, params?: SqlParams): Promise<Row[]> {
    return this.#reconnecting(() => this.#query<Row>(this.pool, sql, params));
  }

  async get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined> {
    return (await this.all<Row>(sql, params))[0];
  }

  async run(sql: string, params?: SqlParams): Promise<number> {
    return this.#reconnecting(async () => (await this.#result(this.pool, sql, params)).rowCount ?? 0);
  }

  async each<Row>(sql: string, params: SqlParams, visit: (row: Row) => void): Promise<number> {
    const rows = await this.all<Row>(sql, params);
    rows.forEach((row) => visit(row));
    return rows.length;
  }

  /**
   * Runs `work` in a transaction. A transaction that lost its connection before COMMIT was sent did not happen
   * (the server rolls it back), so it is run again once the server answers; one that lost it during COMMIT may
   * have committed, and fails rather than risk running twice. A timeout is not a lost connection: the transaction
   * fails with it, never run again.
   */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let committing = false;
    return this.#reconnecting(
      async () => {
        committing = false;
        return this.#transactionOnce(work, () => (committing = true));
      },
      () => !committing,
    );
  }

  async #transactionOnce<T>(work: (tx: SqlExecutor) => Promise<T>, onCommit: () => void): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw this.#explained(error);
    });
    // The server ending the session between two of the transaction's queries is reported as an 'error' event of
    // the checked-out client (an uncaught exception without a listener); the next query then fails with it.
    const ignoreDrop = () => {};
    client.on('error', ignoreDrop);
    const tx: SqlExecutor = {
      all: async <Row>(sql: string, params?: SqlParams) => this.#query<Row>(client, sql, params),
      get: async <Row>(sql: string, params?: SqlParams) => (await this.#query<Row>(client, sql, params))[0],
      run: async (sql: string, params?: SqlParams) => (await this.#result(client, sql, params)).rowCount ?? 0,
    };
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      onCommit();
      await client.query('COMMIT');
      client.off('error', ignoreDrop);
      client.release();
      return result;
    } catch (error) {
      // A server that stopped answering would not answer the rollback either: the connection is dropped (the
      // server rolls back when it sees it gone).
      if (isReadTimeout(error)) {
        client.release(error as Error);
        throw error;
      }
      // A connection that cannot even roll back is broken: it is destroyed rather than returned to the pool.
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (rollback: Error) => rollback,
      );
      client.off('error', ignoreDrop);
      client.release(broken);
      throw error;
    }
  }

  async verify(): Promise<void> {
    await this.run('SELECT 1');
  }

  /**
   * Ends the pool; a server that does not answer the goodbye within the connect timeout has its connections
   * dropped, so that closing never hangs.
   */
  async close(): Promise<void> {
    const ended = this.pool.end();
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      ended.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.#connectTimeoutMs))),
    ]).finally(() => clearTimeout(timer));
    if (!late) return;
    for (const client of this.#clients) (client as WithSocket).connection?.stream?.destroy();
    await ended.catch(() => {});
  }

  /** `attempt` again while the server is unreachable, for RECONNECT_MS, when `retryable` allows. */
  async #reconnecting<T>(attempt: () => Promise<T>, retryable: () => boolean = () => true): Promise<T> {
    const deadline = Date.now() + RECONNECT_MS;
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!connectionLost(error) || !retryable() || Date.now() >= deadline) throw error;
        this.#onReconnecting(error as Error);
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[Math.min(tries, RETRY_DELAYS_MS.length - 1)]));
      }
    }
  }

  async #query<Row>(client: pg.Pool | pg.PoolClient, sql: string, params?: SqlParams): Promise<Row[]> {
    return (await this.#result(client, sql, params)).rows as Row[];
  }

  async #result(client: pg.Pool | pg.PoolClient, sql: string, params: SqlParams = {}): Promise<pg.QueryResult> {
    const { text, names } = this.#number(sql);
    try {
      return await client.query(
        text,
        names.map((name): SqlValue => params[name] ?? null),
      );
    } catch (error) {
      throw this.#explained(error);
    }
  }

  /** A timeout's error with the parameter that bounds it named; any other error as it is. */
  #explained(error: unknown): unknown {
    if (!(error instanceof Error)) return error;
    const seconds = (ms: number) => `${ms / 1000} s`;
    let message: string | null = null;
    if (isReadTimeout(error))
      message = `the PostgreSQL server did not answer within ${seconds(this.#queryTimeoutMs + READ_TIMEOUT_MARGIN_MS)} (store.query_timeout_s ${seconds(this.#queryTimeoutMs)} and a second): it is stopped, overloaded or unreachable`;
    else if ((error as { code?: string }).code === '57014' && /statement timeout/.test(error.message))
      message = `the statement ran longer than store.query_timeout_s (${seconds(this.#queryTimeoutMs)}) and the server cancelled it`;
    else if (/timeout exceeded when trying to connect|connection timeout/i.test(error.message))
      message = `no connection to the PostgreSQL server within store.connect_timeout_s (${seconds(this.#connectTimeoutMs)}): it is stopped, overloaded or unreachable`;
    return message === null ? error : new Error(message, { cause: error });
  }

  #number(sql: string): Numbered {
    let numbered = this.#numbered.get(sql);
    if (!numbered) {
      const names: string[] = [];
      const text = sql.replace(/(?<!@)@([A-Za-z_]\w*)/g, (_, name: string) => {
        const at = names.indexOf(name);
        return `$${at >= 0 ? at + 1 : names.push(name)}`;
      });
      numbered = { text, names };
      this.#numbered.set(sql, numbered);
    }
    return numbered;
  }
}
