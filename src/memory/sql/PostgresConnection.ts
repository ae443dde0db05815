import pg from 'pg';
import type { SqlConnection, SqlDialect, SqlExecutor, SqlParams, SqlValue } from './SqlConnection.js';

const POSTGRES_DIALECT: SqlDialect = {
  inList: (expression, param, type) => `${expression} = ANY(CAST(@${param} AS ${type}[]))`,
  list: (values) => values.map(String),
  forUpdate: ' FOR UPDATE',
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
 * server still starting: 57P01-57P03), as opposed to an error of the statement itself.
 */
function connectionLost(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^08/.test(code) || /^57P0[123]$/.test(code))) return true;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return typeof message === 'string' && /^Connection terminated|connection error and is not queryable/.test(message);
}

/** A statement with its `@name` parameters numbered: `$n` is `names[n - 1]`. */
interface Numbered {
  text: string;
  names: string[];
}

/**
 * A node-postgres pool as a SqlConnection: `@name` parameters become `$1…` (the same name, the same number;
 * `@@`, the full-text match operator, is left alone), BIGINT columns are read as bigint (ROS nanosecond stamps
 * exceed 2^53), and each transaction runs on a connection of its own.
 */
export class PostgresConnection implements SqlConnection {
  readonly dialect = POSTGRES_DIALECT;
  readonly owner: string;
  readonly pool: pg.Pool;
  readonly #numbered = new Map<string, Numbered>();

  readonly #onReconnecting: (error: Error) => void;

  /**
   * `onReconnecting` is told of each query that found the server unreachable and is being tried again; a query
   * keeps trying for a minute (RECONNECT_MS), so a server restart or failover costs the robot a pause, not its
   * memories.
   */
  constructor({
    url,
    maxConnections,
    owner,
    onReconnecting = () => {},
  }: {
    url: string;
    maxConnections: number;
    owner: string;
    onReconnecting?: (error: Error) => void;
  }) {
    this.owner = owner;
    this.#onReconnecting = onReconnecting;
    this.pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
    });
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
   * have committed, and fails rather than risk running twice.
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
    const client = await this.pool.connect();
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

  async close(): Promise<void> {
    await this.pool.end();
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

  #result(client: pg.Pool | pg.PoolClient, sql: string, params: SqlParams = {}): Promise<pg.QueryResult> {
    const { text, names } = this.#number(sql);
    return client.query(
      text,
      names.map((name): SqlValue => params[name] ?? null),
    );
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
