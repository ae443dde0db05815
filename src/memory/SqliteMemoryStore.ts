import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { silentLogger, type Logger } from '../log.js';
import { SQLITE_MIGRATIONS } from './sqliteMigrations.js';
import { BinaryCodeVectors } from './sql/BinaryCodeVectors.js';
import { Fts5FullText } from './sql/Fts5FullText.js';
import { FILTER_FIRST } from './sql/RecallPlan.js';
import { SqliteConnection } from './sql/SqliteConnection.js';
import { SqliteErasure } from './sql/SqliteErasure.js';
import { StoreFileGuard } from './sql/StoreFileGuard.js';
import { sqliteRecallPlan } from './sql/SqliteRecallPlan.js';
import { SqlMemoryStore } from './sql/SqlMemoryStore.js';

export interface SqliteMemoryStoreOptions {
  /** File path; a leading `~` is the home folder; the folder is created. */
  path: string;
  /** Keep keyframe thumbnails (otherwise `thumbnails` of stored memories come back empty). */
  thumbnails?: boolean;
  /**
   * 'normal': a commit survives a crash of the process (WAL); a power cut may lose the last commits but never
   * corrupts the file. 'full': every commit is synced to disk before `put` resolves (much slower).
   */
  synchronous?: 'normal' | 'full';
  /**
   * Recall ranks only the memories its filters select when an index shows they are at most this many (default
   * FILTER_FIRST); 0 always ranks every match and filters afterwards. Tests and benchmarks compare the two plans.
   */
  filterFirstBelow?: number;
  logger?: Logger;
}

/**
 * The embedded store: one SQLite file in WAL mode, full-text search with FTS5 (bm25), vectors binary-quantised
 * in memory for a Hamming first pass and re-ranked exactly. Every integer column is read as a bigint
 * (`safeIntegers`), since ROS nanosecond stamps exceed 2^53. Other processes may read and write the same file;
 * each sees every committed memory. Every write first checks that the file at the path is still the one opened
 * (StoreFileGuard): a store deleted or replaced under a running process stops it instead of losing its writes.
 */
export class SqliteMemoryStore extends SqlMemoryStore {
  readonly #db: Database.Database;

  constructor({
    path,
    thumbnails = false,
    synchronous = 'normal',
    filterFirstBelow = FILTER_FIRST,
    logger = silentLogger,
  }: SqliteMemoryStoreOptions) {
    const file = expandHome(path);
    const db = openDatabase(file, synchronous);
    try {
      migrate(db, file, logger);
    } catch (error) {
      db.close();
      throw error;
    }
    let guard: StoreFileGuard;
    try {
      guard = new StoreFileGuard(file);
    } catch (error) {
      db.close();
      throw new Error(`SqliteMemoryStore: cannot read what ${file} is: ${(error as Error).message}`, { cause: error });
    }
    const sql = new SqliteConnection(db, 'SqliteMemoryStore', guard);
    let dataVersion: unknown = null;
    super({
      sql,
      keepThumbnails: thumbnails,
      fullText: new Fts5FullText(sql),
      vectors: new BinaryCodeVectors({
        sql,
        // Changes when another connection commits: only then can there be vectors this one has not seen.
        changedElsewhere: () =>
          sql.read(() => {
            const now = db.pragma('data_version', { simple: true });
            const changed = now !== dataVersion;
            dataVersion = now;
            return changed;
          }),
        logger,
      }),
      plan: sqliteRecallPlan({ sql, filterFirstBelow, logger }),
      boundWindowStart: false,
      erasure: new SqliteErasure(sql),
      purgeForgotten: true,
    });
    this.#db = db;
    logger.info(`memory store: SQLite ${file} (schema ${SQLITE_MIGRATIONS.length}, ${countMemories(db)} memories)`);
  }

  /** The schema version of the open file. */
  get schemaVersion(): number {
    return Number(this.#db.prepare('SELECT version FROM schema_version').pluck().get());
  }
}

function openDatabase(file: string, synchronous: 'normal' | 'full'): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (error) {
    throw new Error(`SqliteMemoryStore: cannot open ${file}: ${(error as Error).message}`, { cause: error });
  }
  db.defaultSafeIntegers(true);
  db.pragma('busy_timeout = 5000');
  // Switching a new file to WAL needs a lock that another process opening it at once may hold, and SQLite
  // answers that with SQLITE_BUSY at once rather than through the busy timeout: retried for as long.
  for (const giveUp = Date.now() + 5_000; ;) {
    try {
      db.pragma('journal_mode = WAL');
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > giveUp) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -65536');
  return db;
}

/**
 * Applies the migrations the file lacks, each in its own transaction; refuses a file of a newer schema. The
 * version is read inside each write transaction: processes opening one new file at once (several ingests) wait
 * for each other's step and never apply one twice.
 */
function migrate(db: Database.Database, file: string, logger: Logger): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const version = () => Number(db.prepare('SELECT version FROM schema_version').pluck().get() ?? 0);
  const current = version();
  if (current > SQLITE_MIGRATIONS.length) {
    throw new Error(
      `SqliteMemoryStore: ${file} has schema version ${current}; this taskmem knows versions up to ${SQLITE_MIGRATIONS.length}. Use a newer taskmem.`,
    );
  }
  const step = db.transaction((): number | null => {
    const from = version();
    if (from >= SQLITE_MIGRATIONS.length) return null;
    db.exec(SQLITE_MIGRATIONS[from]!);
    db.prepare('DELETE FROM schema_version').run();
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(from + 1);
    return from + 1;
  });
  for (let reached = step.immediate(); reached !== null; reached = step.immediate()) {
    if (current > 0) logger.info(`memory store: migrated ${file} to schema ${reached}`);
  }
}

function countMemories(db: Database.Database): number {
  return Number(db.prepare('SELECT count(*) FROM memories').pluck().get());
}

/** `~` or `~/x` → the home folder. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}
