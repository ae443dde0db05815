import pg from 'pg';
import type { RosNanos } from '../time.js';
import { CauseCounter, silentLogger, type Logger } from '../log.js';
import type { FailedSegment, Memory } from './Memory.js';
import type {
  FocusVectorRecord,
  ForgetQuery,
  MemoryStore,
  PreferencePair,
  RecallQuery,
  ScoredMemory,
  Task,
  TaskAnswer,
  AnsweredTask,
  TaskQuery,
} from './MemoryStore.js';
import { postgresMigrations } from './postgresMigrations.js';
import { postgresTransaction } from './postgresTransaction.js';
import { PostgresIdentityStore } from './PostgresIdentityStore.js';
import type { IdentityStore } from './IdentityStore.js';
import { BinaryVectorIndex, binaryCode } from './BinaryVectorIndex.js';
import { approximateVectorRanking, vectorRankingAmong } from './approximateVectorRanking.js';
import { embeddingFromBytes, embeddingToBytes } from './embedding.js';
import { searchTerms } from './searchTerms.js';
import { fuseRankings } from './fuseRankings.js';
import { MEMORY_COLUMNS, memoryFromRow, memoryToRow, taskFromRow } from './memoryRow.js';

export interface PostgresMemoryStoreOptions {
  /** Connection string, e.g. postgresql://taskmem@db-host/taskmem. */
  url: string;
  thumbnails?: boolean;
  /** Pool size; each connection runs one transaction at a time. */
  maxConnections?: number;
  logger?: Logger;
}

type Row = Record<string, unknown>;
type Client = pg.Pool | pg.PoolClient;

const DEFAULT_LIMIT = 10;
/** Serialises schema migrations between robots that open the same database at once. */
const MIGRATION_LOCK = 7_281_001;
const INT8_OID = 20;
/**
 * Without pgvector, vectors are ranked among the memories the filters select when an indexed filter (time window,
 * robot, place) leaves at most this many, rather than by a Hamming pass over every code (as in SQLite).
 */
const FILTER_FIRST = 20_000;

/**
 * The fleet store on PostgreSQL, with the same semantics as the SQLite store. Full text: a generated tsvector
 * (English stemming; memory text weighted above transcript) ranked with ts_rank. Vectors: pgvector when the
 * server has it (exact cosine distance in the server), else float32 bytea plus binary codes scanned in memory
 * by Hamming distance and re-ranked exactly, as in SQLite. BIGINT columns are read as bigint.
 * Open with `PostgresMemoryStore.open`, which migrates the schema.
 */
export class PostgresMemoryStore implements MemoryStore {
  readonly #pool: pg.Pool;
  readonly #keepThumbnails: boolean;
  readonly #pgvector: boolean;
  readonly #logger: Logger;
  #index: BinaryVectorIndex | null = null;
  #indexedUpTo = 0n;
  readonly identities: IdentityStore;

  private constructor(pool: pg.Pool, keepThumbnails: boolean, pgvector: boolean, logger: Logger) {
    this.#pool = pool;
    this.identities = new PostgresIdentityStore(pool);
    this.#keepThumbnails = keepThumbnails;
    this.#pgvector = pgvector;
    this.#logger = logger;
  }

  static async open({
    url,
    thumbnails = false,
    maxConnections = 4,
    logger = silentLogger,
  }: PostgresMemoryStoreOptions): Promise<PostgresMemoryStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? BigInt : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    const where = redact(url);
    // An idle connection the server closes (a restart, an administrator, a network cut) is reported as a pool
    // 'error', which would be an uncaught exception without a listener. The pool has already dropped that
    // connection and opens a new one for the next query, so a warning per cause is all there is to do.
    const dropped = new CauseCounter(logger);
    pool.on('error', (error: Error & { code?: string }) =>
      dropped.count(
        error.code ?? error.message,
        `memory store: PostgreSQL ${where} closed an idle connection (${error.message}); the next query opens a new one`,
      ),
    );
    try {
      const { version, pgvector } = await migrate(pool, where, logger);
      const count = (await pool.query('SELECT count(*) AS n FROM memories')).rows[0].n as bigint;
      logger.info(
        `memory store: PostgreSQL ${where} (schema ${version}, ${count} memories; vectors: ${
          pgvector
            ? 'pgvector, exact cosine distance in the server'
            : 'no pgvector on this server: bytea, in-memory binary index with exact re-rank'
        })`,
      );
      return new PostgresMemoryStore(pool, thumbnails, pgvector, logger);
    } catch (error) {
      await pool.end();
      throw new Error(`PostgresMemoryStore: cannot open ${where}: ${(error as Error).message}`, { cause: error });
    }
  }

  async put(memory: Memory, embedding?: Float32Array | null): Promise<boolean> {
    const code = embedding && !this.#pgvector ? binaryCode(embedding) : null;
    const seq = await this.#transaction(async (c) => {
      const existing = (await c.query('SELECT seq, text FROM memories WHERE id = $1 FOR UPDATE', [memory.id])).rows[0] as Row | undefined;
      if (existing && existing.text === memory.text) return null;
      const values = memoryToRow(memory);
      const columns = Object.keys(values);
      let seq: bigint;
      if (existing) {
        seq = existing.seq as bigint;
        await c.query(`UPDATE memories SET ${columns.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE seq = $1`, [
          seq,
          ...Object.values(values),
        ]);
        await c.query('DELETE FROM memory_thumbnails WHERE seq = $1', [seq]);
        await c.query('DELETE FROM memory_vectors WHERE seq = $1', [seq]);
        await c.query('DELETE FROM memory_people WHERE seq = $1', [seq]);
      } else {
        const inserted = await c.query(
          `INSERT INTO memories (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
           ON CONFLICT (id) DO NOTHING RETURNING seq`,
          Object.values(values),
        );
        if (inserted.rowCount === 0) throw new Error(`PostgresMemoryStore#put ${memory.id}: written concurrently by another client`);
        seq = inserted.rows[0].seq as bigint;
      }
      if (memory.people.length > 0) {
        await c.query('INSERT INTO memory_people (person_id, seq) SELECT DISTINCT unnest($1::text[]), $2::bigint', [memory.people, seq]);
      }
      if (this.#keepThumbnails) {
        for (const [idx, jpeg] of memory.thumbnails.entries()) {
          await c.query('INSERT INTO memory_thumbnails (seq, idx, jpeg) VALUES ($1, $2, $3)', [seq, idx, Buffer.from(jpeg)]);
        }
      }
      if (embedding) {
        await checkDimensions(c, embedding.length, memory.id);
        if (this.#pgvector)
          await c.query('INSERT INTO memory_vectors (seq, embedding) VALUES ($1, $2::vector)', [seq, vectorLiteral(embedding)]);
        else
          await c.query('INSERT INTO memory_vectors (seq, code, embedding) VALUES ($1, $2, $3)', [seq, code, embeddingToBytes(embedding)]);
      }
      return seq;
    });
    if (seq === null) return false;
    if (!code) this.#index?.delete(Number(seq));
    return true;
  }

  async get(id: string): Promise<Memory | null> {
    const row = (await this.#pool.query(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.id = $1`, [id])).rows[0] as Row | undefined;
    return row ? this.#toMemory(row) : null;
  }

  async recall(query: RecallQuery): Promise<ScoredMemory[]> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const pool = Math.max(limit * 5, 50);
    const rankings: { by: 'text' | 'vector'; keys: number[] }[] = [];
    const terms = query.text === undefined ? [] : searchTerms(query.text);
    if (terms.length > 0) {
      const params: unknown[] = [terms.join(' | '), pool];
      const filter = recallFilter(query, params);
      const { rows } = await this.#pool.query(
        `SELECT m.seq FROM memories m, to_tsquery('english', $1) q WHERE m.search @@ q AND ${filter}
         ORDER BY ts_rank(m.search, q) DESC, m.seq DESC LIMIT $2`,
        params,
      );
      rankings.push({ by: 'text', keys: rows.map((r) => Number(r.seq)) });
    }
    if (query.vector) rankings.push({ by: 'vector', keys: await this.#vectorRanking(query, pool) });
    if (rankings.length === 0) {
      const params: unknown[] = [limit];
      const filter = recallFilter(query, params);
      const { rows } = await this.#pool.query(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${filter} ORDER BY m.start_ns DESC LIMIT $1`,
        params,
      );
      return Promise.all(
        rows.map(async (row) => ({ memory: await this.#toMemory(row), score: 0, matchedBy: ['filter'] as ScoredMemory['matchedBy'] })),
      );
    }
    const fused = fuseRankings(rankings).slice(0, limit);
    const { rows } = await this.#pool.query(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.seq = ANY($1::bigint[])`, [
      fused.map((f) => String(f.key)),
    ]);
    const bySeq = new Map(rows.map((row) => [Number(row.seq), row as Row]));
    return Promise.all(
      fused.map(async (f) => ({ memory: await this.#toMemory(bySeq.get(f.key)!), score: f.score, matchedBy: f.matchedBy })),
    );
  }

  async window(robotId: string, episode: number, before: RosNanos, limit: number): Promise<Memory[]> {
    const { rows } = await this.#pool.query(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.robot_id = $1 AND m.episode = $2 AND m.end_ns <= $3 ORDER BY m.end_ns DESC LIMIT $4`,
      [robotId, episode, before, limit],
    );
    return Promise.all(rows.reverse().map((row) => this.#toMemory(row)));
  }

  async forget(query: ForgetQuery): Promise<Memory[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      clauses.push(sql.replace('?', `$${params.length}`));
    };
    if (query.ids) add('m.id = ANY(?::text[])', query.ids);
    if (query.since !== undefined) add('m.end_ns > ?', query.since);
    if (query.until !== undefined) add('m.start_ns < ?', query.until);
    if (query.text !== undefined) {
      const terms = searchTerms(query.text);
      if (terms.length === 0) return [];
      // Every word must be in the memory: forgetting "the red mug" must not forget every red thing.
      add("m.search @@ to_tsquery('english', ?)", terms.join(' & '));
    }
    if (clauses.length === 0)
      throw new Error('PostgresMemoryStore#forget: give ids, a time range or text; forgetting everything is not a query');
    const rows = await this.#transaction(async (c) => {
      const selected = (await c.query(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${clauses.join(' AND ')} FOR UPDATE`, params))
        .rows as Row[];
      const memories = await Promise.all(selected.map((row) => this.#toMemory(row, c)));
      await c.query('DELETE FROM memories WHERE seq = ANY($1::bigint[])', [selected.map((r) => String(r.seq))]);
      return selected.map((row, i) => ({ seq: Number(row.seq), memory: memories[i]! }));
    });
    for (const { seq } of rows) this.#index?.delete(seq);
    return rows.map((r) => r.memory);
  }

  async count(): Promise<number> {
    return Number((await this.#pool.query('SELECT count(*) AS n FROM memories')).rows[0].n);
  }

  async recordFailure(f: FailedSegment): Promise<void> {
    await this.#pool.query(
      `INSERT INTO failures (id, robot_id, episode, segment_index, start_ns, end_ns, reason, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts`,
      [f.id, f.robotId, f.episode, f.segmentIndex, f.start, f.end, f.reason, f.attempts],
    );
  }

  async failures(robotId?: string): Promise<FailedSegment[]> {
    const { rows } = await this.#pool.query(
      'SELECT * FROM failures WHERE $1::text IS NULL OR robot_id = $1 ORDER BY robot_id, episode, start_ns',
      [robotId ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      robotId: r.robot_id,
      episode: r.episode,
      segmentIndex: r.segment_index,
      start: r.start_ns,
      end: r.end_ns,
      reason: r.reason,
      attempts: r.attempts,
    }));
  }

  async clearFailure(id: string): Promise<void> {
    await this.#pool.query('DELETE FROM failures WHERE id = $1', [id]);
  }

  async lastEpisode(robotId: string): Promise<number> {
    const { rows } = await this.#pool.query(
      `SELECT greatest((SELECT max(episode) FROM memories WHERE robot_id = $1), (SELECT max(episode) FROM failures WHERE robot_id = $1)) AS e`,
      [robotId],
    );
    return rows[0].e === null ? -1 : Number(rows[0].e);
  }

  async getProgress(key: string): Promise<RosNanos | null> {
    return ((await this.#pool.query('SELECT done_ns FROM progress WHERE key = $1', [key])).rows[0]?.done_ns as bigint | undefined) ?? null;
  }

  async setProgress(key: string, done: RosNanos): Promise<void> {
    await this.#pool.query(
      'INSERT INTO progress (key, done_ns) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET done_ns = excluded.done_ns',
      [key, done],
    );
  }

  async logTask(t: Task): Promise<void> {
    await this.#pool.query(
      'INSERT INTO tasks (id, robot_id, stamp_ns, text, task_group, kind) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING',
      [t.id, t.robotId, t.stamp, t.text, t.group, t.kind],
    );
  }

  async recentTasks(robotId: string, limit: number, group?: string): Promise<Task[]> {
    const { rows } = await this.#pool.query(
      'SELECT * FROM tasks WHERE robot_id = $1 AND ($2::text IS NULL OR task_group = $2) ORDER BY stamp_ns DESC LIMIT $3',
      [robotId, group ?? null, limit],
    );
    return rows.map(taskFromRow);
  }

  async recordAnswer(taskId: string, answer: TaskAnswer): Promise<void> {
    const { rowCount } = await this.#pool.query(
      `INSERT INTO answers (task_id, text, abstained, confidence, evidence, answered_by)
       SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $1)
       ON CONFLICT (task_id) DO UPDATE SET text = excluded.text, abstained = excluded.abstained, confidence = excluded.confidence,
         evidence = excluded.evidence, answered_by = excluded.answered_by`,
      [taskId, answer.text, answer.abstained, answer.confidence, JSON.stringify(answer.evidence), answer.answeredBy],
    );
    if (rowCount === 0) throw new Error(`PostgresMemoryStore#recordAnswer: no task ${JSON.stringify(taskId)} was logged`);
  }

  async answeredTasks(query: TaskQuery = {}): Promise<AnsweredTask[]> {
    const { rows } = await this.#pool.query(
      `SELECT t.*, a.task_id AS answered, a.text AS answer_text, a.abstained, a.confidence, a.evidence, a.answered_by
       FROM tasks t LEFT JOIN answers a ON a.task_id = t.id
       WHERE ($1::text IS NULL OR t.robot_id = $1) AND ($2::bigint IS NULL OR t.stamp_ns >= $2) AND ($3::bigint IS NULL OR t.stamp_ns < $3)
       ORDER BY t.stamp_ns, t.id`,
      [query.robotId ?? null, query.since ?? null, query.until ?? null],
    );
    return rows.map((r) => ({
      ...taskFromRow(r),
      answer:
        r.answered === null
          ? null
          : {
              text: r.answer_text,
              abstained: r.abstained,
              confidence: Number(r.confidence),
              evidence: JSON.parse(r.evidence) as string[],
              answeredBy: r.answered_by,
            },
    }));
  }

  async putPreference(p: PreferencePair): Promise<void> {
    await this.#pool.query(
      `INSERT INTO preferences (id, segment_id, task_group, prompt, chosen, rejected, examples, chosen_embedding, rejected_embedding, created_ns)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
      [
        p.id,
        p.segmentId,
        p.group,
        p.prompt,
        p.chosen,
        p.rejected,
        JSON.stringify(p.examples),
        p.chosenEmbedding && embeddingToBytes(p.chosenEmbedding),
        p.rejectedEmbedding && embeddingToBytes(p.rejectedEmbedding),
        p.createdAt,
      ],
    );
  }

  async preferences(group?: string): Promise<PreferencePair[]> {
    const { rows } = await this.#pool.query('SELECT * FROM preferences WHERE $1::text IS NULL OR task_group = $1 ORDER BY created_ns, id', [
      group ?? null,
    ]);
    return rows.map((r) => ({
      id: r.id,
      segmentId: r.segment_id,
      group: r.task_group,
      prompt: r.prompt,
      chosen: r.chosen,
      rejected: r.rejected,
      examples: JSON.parse(r.examples) as string[],
      chosenEmbedding: r.chosen_embedding ? embeddingFromBytes(r.chosen_embedding) : null,
      rejectedEmbedding: r.rejected_embedding ? embeddingFromBytes(r.rejected_embedding) : null,
      createdAt: r.created_ns,
    }));
  }

  async putFocusVector(record: Omit<FocusVectorRecord, 'version'>): Promise<FocusVectorRecord> {
    const { rows } = await this.#pool.query(
      `INSERT INTO focus_vectors (task_group, version, vector, pairs, trained_ns)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM focus_vectors WHERE task_group = $1 RETURNING version`,
      [record.group, embeddingToBytes(record.vector), record.pairs, record.trainedAt],
    );
    return { ...record, version: rows[0].version };
  }

  async focusVector(group: string): Promise<FocusVectorRecord | null> {
    const r = (
      await this.#pool.query('SELECT * FROM focus_vectors WHERE task_group = $1 AND NOT retired ORDER BY version DESC LIMIT 1', [group])
    ).rows[0];
    return r ? { group, version: r.version, vector: embeddingFromBytes(r.vector), pairs: r.pairs, trainedAt: r.trained_ns } : null;
  }

  async resetFocusVector(group: string): Promise<void> {
    await this.#pool.query('UPDATE focus_vectors SET retired = true WHERE task_group = $1', [group]);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #vectorRanking(query: RecallQuery, pool: number): Promise<number[]> {
    const vector = query.vector!;
    if (this.#pgvector) {
      const params: unknown[] = [vectorLiteral(vector), pool];
      const filter = recallFilter(query, params);
      const { rows } = await this.#pool.query(
        `SELECT m.seq FROM memory_vectors v JOIN memories m ON m.seq = v.seq WHERE ${filter}
         ORDER BY v.embedding <=> $1::vector LIMIT $2`,
        params,
      );
      return rows.map((r) => Number(r.seq));
    }
    const params: unknown[] = [];
    const filter = recallFilter(query, params);
    const vectors = async (keys: number[]) => {
      const { rows } = await this.#pool.query('SELECT seq, embedding FROM memory_vectors WHERE seq = ANY($1::bigint[])', [
        keys.map(String),
      ]);
      return new Map(rows.map((r) => [Number(r.seq), embeddingFromBytes(r.embedding)]));
    };
    if (query.since !== undefined || query.until !== undefined || query.robotId !== undefined || query.near) {
      const { rows } = await this.#pool.query(
        `SELECT count(*) AS n FROM (SELECT 1 FROM memories m WHERE ${filter} LIMIT ${FILTER_FIRST + 1}) s`,
        params,
      );
      if (rows[0].n <= FILTER_FIRST) {
        const seqs = (await this.#pool.query(`SELECT m.seq FROM memories m WHERE ${filter}`, params)).rows;
        const selected = seqs.map((r) => Number(r.seq)).sort((a, b) => a - b);
        return vectorRankingAmong({ index: () => this.#vectorIndex(), vectors }, vector, pool, selected);
      }
    }
    return approximateVectorRanking(
      {
        index: await this.#vectorIndex(),
        passing:
          filter === 'true'
            ? null
            : async (candidates) => {
                const { rows } = await this.#pool.query(
                  `SELECT m.seq FROM memories m WHERE ${filter} AND m.seq = ANY($${params.length + 1}::bigint[])`,
                  [...params, candidates.map(String)],
                );
                return new Set(rows.map((r) => Number(r.seq)));
              },
        vectors,
      },
      vector,
      pool,
    );
  }

  /** The in-memory code index, brought up to date with every vector any client stored since the last look. */
  async #vectorIndex(): Promise<BinaryVectorIndex> {
    if (!this.#index) {
      const dims = (await this.#pool.query("SELECT value FROM store_meta WHERE key = 'vector_dims'")).rows[0]?.value as string | undefined;
      if (dims === undefined) return new BinaryVectorIndex(0);
      this.#index = new BinaryVectorIndex(Number(dims));
    }
    const { rows } = await this.#pool.query('SELECT vseq, seq, code FROM memory_vectors WHERE vseq > $1 ORDER BY vseq', [
      this.#indexedUpTo,
    ]);
    for (const r of rows) this.#index.set(Number(r.seq), r.code);
    if (rows.length > 0) this.#indexedUpTo = rows.at(-1)!.vseq as bigint;
    if (rows.length > 10_000) this.#logger.info(`memory store: loaded ${rows.length} vector codes`);
    return this.#index;
  }

  #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return postgresTransaction(this.#pool, work);
  }

  async #toMemory(row: Row, client: Client = this.#pool): Promise<Memory> {
    const thumbnails = this.#keepThumbnails
      ? (await client.query('SELECT jpeg FROM memory_thumbnails WHERE seq = $1 ORDER BY idx', [row.seq])).rows.map(
          (r) => new Uint8Array(r.jpeg as Buffer),
        )
      : [];
    return memoryFromRow(row, thumbnails);
  }
}

async function migrate(pool: pg.Pool, where: string, logger: Logger): Promise<{ version: number; pgvector: boolean }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const current = ((await client.query('SELECT version FROM schema_version')).rows[0]?.version as number | undefined) ?? 0;
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
      pgvector = (await client.query("SELECT value FROM store_meta WHERE key = 'vectors'")).rows[0]?.value === 'pgvector';
    }
    const migrations = postgresMigrations(pgvector);
    if (current > migrations.length) {
      throw new Error(`schema version ${current}; this taskmem knows versions up to ${migrations.length}. Use a newer taskmem.`);
    }
    for (let version = current; version < migrations.length; version++) {
      await client.query(migrations[version]!);
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

async function checkDimensions(c: pg.PoolClient, dims: number, id: string): Promise<void> {
  await c.query("INSERT INTO store_meta (key, value) VALUES ('vector_dims', $1) ON CONFLICT (key) DO NOTHING", [String(dims)]);
  const stored = (await c.query("SELECT value FROM store_meta WHERE key = 'vector_dims'")).rows[0].value as string;
  if (Number(stored) !== dims) {
    throw new Error(`PostgresMemoryStore#put ${id}: embedding has ${dims} dimensions but this store holds ${stored}-dimensional vectors`);
  }
}

/** The SQL condition for a recall's filters over `m`, appending its values to `params` ($n placeholders). */
function recallFilter(q: RecallQuery, params: unknown[]): string {
  const clauses: string[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (q.since !== undefined) {
    // The second clause is implied by the first (no memory is longer than the longest, read from memories_span);
    // it lets the planner bound the window within memories_start rather than scan every earlier memory.
    const since = p(q.since);
    clauses.push(`m.end_ns > ${since} AND m.start_ns >= ${since}::bigint - (SELECT coalesce(max(end_ns - start_ns), 0) FROM memories)`);
  }
  if (q.until !== undefined) clauses.push(`m.start_ns < ${p(q.until)}`);
  if (q.asOf !== undefined) clauses.push(`m.created_ns <= ${p(q.asOf)}`);
  if (q.robotId !== undefined) clauses.push(`m.robot_id = ${p(q.robotId)}`);
  if (q.episode !== undefined) clauses.push(`m.episode = ${p(q.episode)}`);
  if (q.taskGroup !== undefined) clauses.push(`m.task_group = ${p(q.taskGroup)}`);
  if (q.person !== undefined) clauses.push(`m.seq IN (SELECT seq FROM memory_people WHERE person_id = ${p(q.person)})`);
  if (q.near) {
    const x = p(q.near.x);
    const y = p(q.near.y);
    const r = p(q.near.radius);
    clauses.push(
      `m.pose_x BETWEEN ${x}::float8 - ${r}::float8 AND ${x}::float8 + ${r}::float8
       AND m.pose_y BETWEEN ${y}::float8 - ${r}::float8 AND ${y}::float8 + ${r}::float8
       AND (m.pose_x - ${x}::float8) ^ 2 + (m.pose_y - ${y}::float8) ^ 2 <= ${r}::float8 ^ 2`,
    );
  }
  return clauses.length === 0 ? 'true' : clauses.join(' AND ');
}

function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/** The connection string without its password, for logs and errors. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
