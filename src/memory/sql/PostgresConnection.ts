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

  constructor({ url, maxConnections, owner }: { url: string; maxConnections: number; owner: string }) {
    this.owner = owner;
    this.pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
    });
  }

  async all<Row>(sql: string, params?: SqlParams): Promise<Row[]> {
    return this.#query<Row>(this.pool, sql, params);
  }

  async get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined> {
    return (await this.#query<Row>(this.pool, sql, params))[0];
  }

  async run(sql: string, params?: SqlParams): Promise<number> {
    return (await this.#result(this.pool, sql, params)).rowCount ?? 0;
  }

  async each<Row>(sql: string, params: SqlParams, visit: (row: Row) => void): Promise<number> {
    const rows = await this.#query<Row>(this.pool, sql, params);
    rows.forEach((row) => visit(row));
    return rows.length;
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: SqlExecutor = {
      all: async <Row>(sql: string, params?: SqlParams) => this.#query<Row>(client, sql, params),
      get: async <Row>(sql: string, params?: SqlParams) => (await this.#query<Row>(client, sql, params))[0],
      run: async (sql: string, params?: SqlParams) => (await this.#result(client, sql, params)).rowCount ?? 0,
    };
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      // A connection that cannot even roll back is broken: it is destroyed rather than returned to the pool.
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (rollback: Error) => rollback,
      );
      client.release(broken);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
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
