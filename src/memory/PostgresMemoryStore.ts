import type pg from 'pg';
import { CauseCounter, silentLogger, type Logger } from '../log.js';
import { postgresMigrations } from './postgresMigrations.js';
import { BinaryCodeVectors } from './sql/BinaryCodeVectors.js';
import { PgvectorVectors } from './sql/PgvectorVectors.js';
import { PostgresConnection } from './sql/PostgresConnection.js';
import { PostgresErasure } from './sql/PostgresErasure.js';
import { serverRecallPlan } from './sql/RecallPlan.js';
import type { SqlInteger } from './sql/SqlConnection.js';
import { SqlMemoryStore } from './sql/SqlMemoryStore.js';
import { TsvectorFullText } from './sql/TsvectorFullText.js';

export interface PostgresMemoryStoreOptions {
  /** Connection string, e.g. postgresql://taskmem@db-host/taskmem. */
  url: string;
  thumbnails?: boolean;
  /** Pool size; each connection runs one transaction at a time. */
  maxConnections?: number;
  /** Longest wait for a connection, in seconds (store.connect_timeout_s). */
  connectTimeoutS?: number;
  /** Longest a statement runs or waits for the server's answer, in seconds (store.query_timeout_s); migrations are not bounded. */
  queryTimeoutS?: number;
  logger?: Logger;
}

/** How long the client waits for a migration (or another robot's) before giving up on the server: a day. */
const MIGRATION_TIMEOUT_MS = 24 * 3600_000;

/** Serialises schema migrations between robots that open the same database at once. */
const MIGRATION_LOCK = 7_281_001;

/**
 * The fleet store on PostgreSQL, with the same semantics as the SQLite store. Full text: a generated tsvector
 * (English stemming; memory text weighted above transcript) ranked with ts_rank. Vectors: pgvector when the
 * server has it (an HNSW index per embedding model, see PgvectorVectors), else float32 bytea plus binary codes
 * scanned in memory by Hamming distance and re-ranked exactly, as in SQLite. BIGINT columns are read as bigint.
 * Open with `PostgresMemoryStore.open`, which migrates the schema.
 */
export class PostgresMemoryStore extends SqlMemoryStore {
  private constructor(sql: PostgresConnection, keepThumbnails: boolean, pgvector: boolean, logger: Logger) {
    super({
      sql,
      keepThumbnails,
      fullText: new TsvectorFullText(sql),
      vectors: pgvector ? new PgvectorVectors(sql) : new BinaryCodeVectors({ sql, logger }),
      plan: serverRecallPlan(sql),
      boundWindowStart: true,
      erasure: new PostgresErasure(sql),
      // VACUUM FULL of the memory tables would lock them for a rewrite: their dead rows wait for the server's vacuum.
      purgeForgotten: false,
    });
  }

  static async open({
    url,
    thumbnails = false,
    maxConnections = 4,
    connectTimeoutS = 10,
    queryTimeoutS = 30,
    logger = silentLogger,
  }: PostgresMemoryStoreOptions): Promise<PostgresMemoryStore> {
    const where = redact(url);
    const unreachable = new CauseCounter(logger);
    const sql = new PostgresConnection({
      url,
      maxConnections,
      owner: 'PostgresMemoryStore',
      connectTimeoutMs: connectTimeoutS * 1000,
      queryTimeoutMs: queryTimeoutS * 1000,
      onReconnecting: (error: Error & { code?: string }) =>
        unreachable.count(
          error.code ?? error.message,
          `memory store: PostgreSQL ${where} cannot be reached (${error.message}); trying again for up to a minute`,
        ),
    });
    // An idle connection the server closes (a restart, an administrator, a network cut) is reported as a pool
    // 'error', which would be an uncaught exception without a listener. The pool has already dropped that
    // connection and opens a new one for the next query, so a warning per cause is all there is to do.
    const dropped = new CauseCounter(logger);
    sql.pool.on('error', (error: Error & { code?: string }) =>
      dropped.count(
        error.code ?? error.message,
        `memory store: PostgreSQL ${where} closed an idle connection (${error.message}); the next query opens a new one`,
      ),
    );
    try {
      const { version, pgvector } = await migrate(sql.pool, where, logger);
      const count = (await sql.get<{ n: SqlInteger }>('SELECT count(*) AS n FROM memories'))!.n;
      logger.info(
        `memory store: PostgreSQL ${where} (schema ${version}, ${count} memories; vectors: ${
          pgvector
            ? 'pgvector, an HNSW index per embedding model'
            : 'no pgvector on this server: bytea, in-memory binary index with exact re-rank'
        })`,
      );
      return new PostgresMemoryStore(sql, thumbnails, pgvector, logger);
    } catch (error) {
      await sql.close();
      throw new Error(`PostgresMemoryStore: cannot open ${where}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Applies the migrations the database lacks, in one transaction under an advisory lock; says whether it has pgvector. */
async function migrate(pool: pg.Pool, where: string, logger: Logger): Promise<{ version: number; pgvector: boolean }> {
  const client = await pool.connect();
  const value = async <T>(sql: string, params: unknown[] = []) => (await client.query<{ value: T }>(sql, params)).rows[0]?.value;
  try {
    await client.query('BEGIN');
    // A migration may rebuild an index of millions of rows, and waits for another robot's migration to end: those
    // two are not bounded by store.query_timeout_s.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query(unbounded('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]));
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const current = (await value<number>('SELECT version AS value FROM schema_version')) ?? 0;
    let pgvector: boolean;
    if (current === 0) {
      await client.query('SAVEPOINT pgvector');
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS vector');
        pgvector = true;
      } catch {
        await client.query('ROLLBACK TO SAVEPOINT pgvector');
        pgvector = false;
      }
    } else {
      pgvector = (await value<string>("SELECT value FROM store_meta WHERE key = 'vectors'")) === 'pgvector';
    }
    const migrations = postgresMigrations(pgvector);
    if (current > migrations.length) {
      throw new Error(`schema version ${current}; this taskmem knows versions up to ${migrations.length}. Use a newer taskmem.`);
    }
    for (let version = current; version < migrations.length; version++) {
      await client.query(unbounded(migrations[version]!));
      if (current > 0) logger.info(`memory store: migrated ${where} to schema ${version + 1}`);
    }
    await client.query('DELETE FROM schema_version');
    await client.query('INSERT INTO schema_version (version) VALUES ($1)', [Math.max(current, migrations.length)]);
    await client.query('COMMIT');
    return { version: Math.max(current, migrations.length), pgvector };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** A statement the client waits for up to MIGRATION_TIMEOUT_MS (node-postgres reads `query_timeout`; its typings omit it). */
function unbounded(text: string, values: unknown[] = []): pg.QueryConfig {
  const config: pg.QueryConfig & { query_timeout: number } = { text, values, query_timeout: MIGRATION_TIMEOUT_MS };
  return config;
}

/** The connection string without its password, for logs and errors. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
