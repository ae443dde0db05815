import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { RosNanos } from '../time.js';
import { silentLogger, type Logger } from '../log.js';
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
import { SQLITE_MIGRATIONS } from './sqliteMigrations.js';
import { SqliteIdentityStore } from './SqliteIdentityStore.js';
import type { IdentityStore } from './IdentityStore.js';
import { BinaryVectorIndex, binaryCode } from './BinaryVectorIndex.js';
import { approximateVectorRanking, vectorRankingAmong } from './approximateVectorRanking.js';
import { embeddingFromBytes, embeddingToBytes } from './embedding.js';
import { fts5Query, searchTerms } from './searchTerms.js';
import { fuseRankings } from './fuseRankings.js';
import { MEMORY_COLUMNS, memoryFromRow, memoryToRow, taskFromRow } from './memoryRow.js';

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

type Row = Record<string, unknown>;

const DEFAULT_LIMIT = 10;
/** A term in more memories than this is common: it does not select candidates for bm25 (see #textRanking). */
const COMMON_TERM = 3_000;
/** bm25's weight of one occurrence of a term found in COMMON_TERM of 10^6 memories: ln(10^6 / 3000) ≈ 5.8. */
const COMMON_BONUS = Math.log(1_000_000 / COMMON_TERM);
/**
 * Filters that an index bounds to at most this many memories are applied before ranking. Selecting a day of 10-s
 * memories (8,640) takes about 2.5 ms at 10^6; ranking every match of common words and filtering afterwards took
 * about 100 ms for full text and 2–3 s for vectors (the shortlist widened until enough passed).
 */
const FILTER_FIRST = 20_000;

/**
 * The embedded store: one SQLite file in WAL mode, full-text search with FTS5 (bm25), vectors binary-quantised
 * in memory for a Hamming first pass and re-ranked exactly. Every integer column is read as a bigint
 * (`safeIntegers`), since ROS nanosecond stamps exceed 2^53. Other processes may read and write the same file;
 * each sees every committed memory.
 */
export class SqliteMemoryStore implements MemoryStore {
  readonly #db: Database.Database;
  readonly #keepThumbnails: boolean;
  readonly #logger: Logger;
  readonly #filterFirstBelow: number;
  readonly #statements = new Map<string, Database.Statement>();
  #index: BinaryVectorIndex | null = null;
  #indexDataVersion = -1n;
  /** Highest memory_vectors.vseq loaded into the index. */
  #indexedUpTo = 0n;
  /** Dimension of the stored vectors once known (it never changes for a file). */
  #dims: number | null = null;
  readonly identities: IdentityStore;

  constructor({
    path,
    thumbnails = false,
    synchronous = 'normal',
    filterFirstBelow = FILTER_FIRST,
    logger = silentLogger,
  }: SqliteMemoryStoreOptions) {
    const file = expandHome(path);
    mkdirSync(dirname(file), { recursive: true });
    try {
      this.#db = new Database(file);
    } catch (error) {
      throw new Error(`SqliteMemoryStore: cannot open ${file}: ${(error as Error).message}`, { cause: error });
    }
    this.#db.defaultSafeIntegers(true);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma('cache_size = -65536');
    this.#keepThumbnails = thumbnails;
    this.#logger = logger;
    this.#filterFirstBelow = filterFirstBelow;
    this.#migrate(file);
    this.identities = new SqliteIdentityStore(this.#db);
    logger.info(`memory store: SQLite ${file} (schema ${SQLITE_MIGRATIONS.length}, ${this.#countSync()} memories)`);
  }

  /** The schema version of the open file. */
  get schemaVersion(): number {
    return Number(this.#sql('SELECT version FROM schema_version').pluck().get());
  }

  async put(memory: Memory, embedding?: Float32Array | null): Promise<boolean> {
    const stored = this.#db.transaction(() => this.#write(memory, embedding ?? null)).immediate();
    stored?.();
    return stored !== null;
  }

  /**
   * Stores many memories in one transaction (an import or a bulk load): all or none are stored. Returns how many
   * were new or changed. `put` keeps its one transaction per memory for the live pipeline.
   */
  async putMany(entries: Iterable<{ memory: Memory; embedding?: Float32Array | null }>): Promise<number> {
    const stored = this.#db
      .transaction(() => [...entries].map(({ memory, embedding }) => this.#write(memory, embedding ?? null)).filter((s) => s !== null))
      .immediate();
    for (const updateIndex of stored) updateIndex();
    return stored.length;
  }

  /**
   * The body of a put, inside the caller's transaction. Returns null when nothing was stored, else the update of
   * the in-memory vector index, which the caller applies once the transaction has committed.
   */
  #write(memory: Memory, embedding: Float32Array | null): (() => void) | null {
    const existing = this.#sql('SELECT seq, text FROM memories WHERE id = ?').get(memory.id) as Row | undefined;
    if (existing && existing.text === memory.text) return null;
    const values = memoryToRow(memory);
    let seq: bigint;
    if (existing) {
      seq = existing.seq as bigint;
      this.#sql(
        `UPDATE memories SET ${Object.keys(values)
          .map((k) => `${k} = @${k}`)
          .join(', ')} WHERE seq = @seq`,
      ).run({ ...values, seq });
      this.#sql('DELETE FROM memory_thumbnails WHERE seq = ?').run(seq);
      this.#sql('DELETE FROM memory_vectors WHERE seq = ?').run(seq);
    } else {
      const columns = Object.keys(values);
      const info = this.#sql(`INSERT INTO memories (${columns.join(', ')}) VALUES (${columns.map((k) => `@${k}`).join(', ')})`).run(values);
      seq = BigInt(info.lastInsertRowid);
    }
    if (existing) this.#sql('DELETE FROM memory_people WHERE seq = ?').run(seq);
    const person = this.#sql('INSERT INTO memory_people (person_id, seq) VALUES (?, ?)');
    for (const id of new Set(memory.people)) person.run(id, seq);
    if (this.#keepThumbnails) {
      const insert = this.#sql('INSERT INTO memory_thumbnails (seq, idx, jpeg) VALUES (?, ?, ?)');
      memory.thumbnails.forEach((jpeg, idx) => insert.run(seq, idx, Buffer.from(jpeg)));
    }
    const code = embedding && binaryCode(embedding);
    if (embedding && code) {
      this.#checkDimensions(embedding.length, memory.id);
      this.#sql('INSERT INTO memory_vectors (seq, code, vector) VALUES (?, ?, ?)').run(seq, code, embeddingToBytes(embedding));
    }
    return () => (code ? this.#index?.set(Number(seq), code) : this.#index?.delete(Number(seq)));
  }

  async get(id: string): Promise<Memory | null> {
    const row = this.#sql(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.id = ?`).get(id) as Row | undefined;
    return row ? this.#toMemory(row) : null;
  }

  async recall(query: RecallQuery): Promise<ScoredMemory[]> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const filter = recallFilter(query);
    const pool = Math.max(limit * 5, 50);
    const rankings: { by: 'text' | 'vector'; keys: number[] }[] = [];
    const terms = query.text === undefined ? [] : searchTerms(query.text);
    // Planned once, when a ranking first needs it (rare words do not).
    let planned: number[] | null | undefined;
    const selected = () => (planned === undefined ? (planned = this.#selectedRows(query, filter)) : planned);
    if (terms.length > 0) rankings.push({ by: 'text', keys: this.#textRanking(terms, filter, pool, selected) });
    const among = query.vector && selected();
    if (query.vector && among) {
      const source = { index: () => this.#vectorIndex(), vectors: async (keys: number[]) => this.#vectors(keys) };
      rankings.push({ by: 'vector', keys: await vectorRankingAmong(source, query.vector, pool, among) });
    } else if (query.vector) {
      const keys = await approximateVectorRanking(
        {
          index: this.#vectorIndex(),
          passing: filter.sql === '1' ? null : async (candidates) => this.#passing(candidates, filter),
          vectors: async (keys) => this.#vectors(keys),
        },
        query.vector,
        pool,
      );
      rankings.push({ by: 'vector', keys });
    }
    if (rankings.length === 0) {
      const rows = this.#db
        .prepare(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${filter.sql} ORDER BY m.start_ns DESC LIMIT @limit`)
        .all({ ...filter.params, limit }) as Row[];
      return rows.map((row) => ({ memory: this.#toMemory(row), score: 0, matchedBy: ['filter'] }));
    }
    const fused = fuseRankings(rankings).slice(0, limit);
    const rows = this.#rowsBySeq(fused.map((f) => f.key));
    return fused.map((f) => ({ memory: this.#toMemory(rows.get(f.key)!), score: f.score, matchedBy: f.matchedBy }));
  }

  async window(robotId: string, episode: number, before: RosNanos, limit: number): Promise<Memory[]> {
    const rows = this.#db
      .prepare(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.robot_id = ? AND m.episode = ? AND m.end_ns <= ?
        ORDER BY m.end_ns DESC LIMIT ?`,
      )
      .all(robotId, episode, before, limit) as Row[];
    return rows.reverse().map((row) => this.#toMemory(row));
  }

  async forget(query: ForgetQuery): Promise<Memory[]> {
    const clauses: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.ids) {
      clauses.push('m.id IN (SELECT value FROM json_each(@ids))');
      params.ids = JSON.stringify(query.ids);
    }
    if (query.since !== undefined) {
      clauses.push('m.end_ns > @since');
      params.since = query.since;
    }
    if (query.until !== undefined) {
      clauses.push('m.start_ns < @until');
      params.until = query.until;
    }
    if (query.text !== undefined) {
      // Every word must be in the memory: forgetting "the red mug" must not forget every red thing.
      const terms = searchTerms(query.text);
      if (terms.length === 0) return [];
      clauses.push('m.seq IN (SELECT rowid FROM memories_fts WHERE memories_fts MATCH @match)');
      params.match = terms.map((t) => `"${t}"`).join(' AND ');
    }
    if (clauses.length === 0)
      throw new Error('SqliteMemoryStore#forget: give ids, a time range or text; forgetting everything is not a query');
    const forgotten = this.#db
      .transaction(() => {
        const rows = this.#sql(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${clauses.join(' AND ')}`).all(params) as Row[];
        const memories = rows.map((row) => this.#toMemory(row));
        const remove = this.#sql('DELETE FROM memories WHERE seq = ?');
        for (const row of rows) remove.run(row.seq);
        return rows.map((row) => Number(row.seq)).map((seq, i) => ({ seq, memory: memories[i]! }));
      })
      .immediate();
    for (const { seq } of forgotten) this.#index?.delete(seq);
    return forgotten.map((f) => f.memory);
  }

  async count(): Promise<number> {
    return this.#countSync();
  }

  async recordFailure(failure: FailedSegment): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO failures (id, robot_id, episode, segment_index, start_ns, end_ns, reason, attempts)
        VALUES (@id, @robotId, @episode, @segmentIndex, @start, @end, @reason, @attempts)
        ON CONFLICT(id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts`,
      )
      .run(failure);
  }

  async failures(robotId?: string): Promise<FailedSegment[]> {
    const rows = this.#db
      .prepare(`SELECT * FROM failures WHERE @robotId IS NULL OR robot_id = @robotId ORDER BY robot_id, episode, start_ns`)
      .all({ robotId: robotId ?? null }) as Row[];
    return rows.map((r) => ({
      id: r.id as string,
      robotId: r.robot_id as string,
      episode: Number(r.episode),
      segmentIndex: Number(r.segment_index),
      start: r.start_ns as bigint,
      end: r.end_ns as bigint,
      reason: r.reason as string,
      attempts: Number(r.attempts),
    }));
  }

  async clearFailure(id: string): Promise<void> {
    this.#sql('DELETE FROM failures WHERE id = ?').run(id);
  }

  async lastEpisode(robotId: string): Promise<number> {
    const last = this.#db
      .prepare(
        `SELECT max(e) FROM (SELECT max(episode) AS e FROM memories WHERE robot_id = @r
        UNION ALL SELECT max(episode) FROM failures WHERE robot_id = @r)`,
      )
      .pluck()
      .get({ r: robotId }) as bigint | null;
    return last === null ? -1 : Number(last);
  }

  async getProgress(key: string): Promise<RosNanos | null> {
    return (this.#sql('SELECT done_ns FROM progress WHERE key = ?').pluck().get(key) as bigint | undefined) ?? null;
  }

  async setProgress(key: string, done: RosNanos): Promise<void> {
    this.#sql('INSERT INTO progress (key, done_ns) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET done_ns = excluded.done_ns').run(key, done);
  }

  async logTask(task: Task): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO tasks (id, robot_id, stamp_ns, text, task_group, kind) VALUES (@id, @robotId, @stamp, @text, @group, @kind)
        ON CONFLICT(id) DO NOTHING`,
      )
      .run(task);
  }

  async recentTasks(robotId: string, limit: number, group?: string): Promise<Task[]> {
    const rows = this.#db
      .prepare(
        `SELECT * FROM tasks WHERE robot_id = @robotId AND (@group IS NULL OR task_group = @group)
        ORDER BY stamp_ns DESC LIMIT @limit`,
      )
      .all({ robotId, group: group ?? null, limit }) as Row[];
    return rows.map(taskFromRow);
  }

  async recordAnswer(taskId: string, answer: TaskAnswer): Promise<void> {
    const { changes } = this.#sql(
      `INSERT INTO answers (task_id, text, abstained, confidence, evidence, answered_by)
        SELECT @taskId, @text, @abstained, @confidence, @evidence, @answeredBy WHERE EXISTS (SELECT 1 FROM tasks WHERE id = @taskId)
        ON CONFLICT(task_id) DO UPDATE SET text = excluded.text, abstained = excluded.abstained, confidence = excluded.confidence,
          evidence = excluded.evidence, answered_by = excluded.answered_by`,
    ).run({ taskId, ...answer, abstained: answer.abstained ? 1 : 0, evidence: JSON.stringify(answer.evidence) });
    if (changes === 0) throw new Error(`SqliteMemoryStore#recordAnswer: no task ${JSON.stringify(taskId)} was logged`);
  }

  async answeredTasks(query: TaskQuery = {}): Promise<AnsweredTask[]> {
    const rows = this.#sql(
      `SELECT t.*, a.task_id AS answered, a.text AS answer_text, a.abstained, a.confidence, a.evidence, a.answered_by
        FROM tasks t LEFT JOIN answers a ON a.task_id = t.id
        WHERE (@robotId IS NULL OR t.robot_id = @robotId) AND (@since IS NULL OR t.stamp_ns >= @since) AND (@until IS NULL OR t.stamp_ns < @until)
        ORDER BY t.stamp_ns, t.id`,
    ).all({ robotId: query.robotId ?? null, since: query.since ?? null, until: query.until ?? null }) as Row[];
    return rows.map((r) => ({
      ...taskFromRow(r),
      answer:
        r.answered === null
          ? null
          : {
              text: r.answer_text as string,
              abstained: r.abstained === 1n || r.abstained === 1,
              confidence: Number(r.confidence),
              evidence: JSON.parse(r.evidence as string) as string[],
              answeredBy: r.answered_by as string,
            },
    }));
  }

  async putPreference(pair: PreferencePair): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO preferences (id, segment_id, task_group, prompt, chosen, rejected, examples, chosen_embedding,
          rejected_embedding, created_ns)
        VALUES (@id, @segmentId, @group, @prompt, @chosen, @rejected, @examples, @chosenEmbedding, @rejectedEmbedding, @createdAt)
        ON CONFLICT(id) DO NOTHING`,
      )
      .run({
        ...pair,
        examples: JSON.stringify(pair.examples),
        chosenEmbedding: pair.chosenEmbedding && embeddingToBytes(pair.chosenEmbedding),
        rejectedEmbedding: pair.rejectedEmbedding && embeddingToBytes(pair.rejectedEmbedding),
      });
  }

  async preferences(group?: string): Promise<PreferencePair[]> {
    const rows = this.#db
      .prepare('SELECT * FROM preferences WHERE @group IS NULL OR task_group = @group ORDER BY created_ns, id')
      .all({ group: group ?? null }) as Row[];
    return rows.map((r) => ({
      id: r.id as string,
      segmentId: r.segment_id as string,
      group: r.task_group as string,
      prompt: r.prompt as string,
      chosen: r.chosen as string,
      rejected: r.rejected as string,
      examples: JSON.parse(r.examples as string) as string[],
      chosenEmbedding: r.chosen_embedding ? embeddingFromBytes(r.chosen_embedding as Buffer) : null,
      rejectedEmbedding: r.rejected_embedding ? embeddingFromBytes(r.rejected_embedding as Buffer) : null,
      createdAt: r.created_ns as bigint,
    }));
  }

  async putFocusVector(record: Omit<FocusVectorRecord, 'version'>): Promise<FocusVectorRecord> {
    return this.#db
      .transaction(() => {
        const last = this.#sql('SELECT max(version) FROM focus_vectors WHERE task_group = ?').pluck().get(record.group) as bigint | null;
        const version = last === null ? 1 : Number(last) + 1;
        this.#db
          .prepare('INSERT INTO focus_vectors (task_group, version, vector, pairs, trained_ns) VALUES (?, ?, ?, ?, ?)')
          .run(record.group, version, embeddingToBytes(record.vector), record.pairs, record.trainedAt);
        return { ...record, version };
      })
      .immediate();
  }

  async focusVector(group: string): Promise<FocusVectorRecord | null> {
    const r = this.#db
      .prepare('SELECT * FROM focus_vectors WHERE task_group = ? AND retired = 0 ORDER BY version DESC LIMIT 1')
      .get(group) as Row | undefined;
    if (!r) return null;
    return {
      group,
      version: Number(r.version),
      vector: embeddingFromBytes(r.vector as Buffer),
      pairs: Number(r.pairs),
      trainedAt: r.trained_ns as bigint,
    };
  }

  async resetFocusVector(group: string): Promise<void> {
    this.#sql('UPDATE focus_vectors SET retired = 1 WHERE task_group = ?').run(group);
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
    this.#db.close();
  }

  #migrate(file: string): void {
    this.#db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const current = Number(this.#sql('SELECT version FROM schema_version').pluck().get() ?? 0);
    if (current > SQLITE_MIGRATIONS.length) {
      throw new Error(
        `SqliteMemoryStore: ${file} has schema version ${current}; this taskmem knows versions up to ${SQLITE_MIGRATIONS.length}. Use a newer taskmem.`,
      );
    }
    for (let version = current; version < SQLITE_MIGRATIONS.length; version++) {
      this.#db
        .transaction(() => {
          this.#db.exec(SQLITE_MIGRATIONS[version]!);
          this.#sql('DELETE FROM schema_version').run();
          this.#sql('INSERT INTO schema_version (version) VALUES (?)').run(version + 1);
        })
        .immediate();
      if (current > 0) this.#logger.info(`memory store: migrated ${file} to schema ${version + 1}`);
    }
  }

  /** A prepared statement, compiled once per store (preparing costs about as much as a small insert). */
  #sql(source: string): Database.Statement {
    let statement = this.#statements.get(source);
    if (!statement) {
      statement = this.#db.prepare(source);
      this.#statements.set(source, statement);
    }
    return statement;
  }

  #countSync(): number {
    return Number(this.#sql('SELECT count(*) FROM memories').pluck().get());
  }

  #checkDimensions(dims: number, id: string): void {
    if (this.#dims === null) {
      const stored = this.#sql("SELECT value FROM store_meta WHERE key = 'vector_dims'").pluck().get() as string | undefined;
      if (stored === undefined) this.#sql("INSERT INTO store_meta (key, value) VALUES ('vector_dims', ?)").run(String(dims));
      else this.#dims = Number(stored);
    }
    if (this.#dims !== null && this.#dims !== dims) {
      throw new Error(
        `SqliteMemoryStore#put ${id}: embedding has ${dims} dimensions but this store holds ${this.#dims}-dimensional vectors`,
      );
    }
  }

  /**
   * Full-text ranking with bounded work. FTS5's bm25 scores every matching row and, to weigh each term, scans the
   * whole list of rows containing it; a word in half of 10^6 memories costs tens of milliseconds on its own.
   * So each term's document count is probed up to COMMON_TERM rows, and:
   * - terms in 1..COMMON_TERM memories (rare) select the candidates and are ranked by bm25; each common term found
   *   in a candidate then adds COMMON_BONUS, an upper bound of a common term's bm25 weight;
   * - when every term is common, memories holding all of them come first, then those holding any, newest first
   *   within each (recency is the useful order for "where is my mug").
   * When the filters are selective, `selected()` gives the rows passing them (ascending, see #selectedRows): the
   * common words' rows are then read within those rows' range only and kept when selected — the same rows,
   * without walking each word's rows back to the window. Rare terms need no such help: their few rows are ranked
   * and filtered directly.
   */
  #textRanking(terms: string[], filter: Filter, pool: number, selected: () => number[] | null): number[] {
    const probe = this.#sql('SELECT count(*) FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)').pluck();
    const counts = terms.map((t) => Number(probe.get(fts5Query([t]), COMMON_TERM + 1)));
    const rare = terms.filter((_, i) => counts[i]! > 0 && counts[i]! <= COMMON_TERM);
    const common = terms.filter((_, i) => counts[i]! > COMMON_TERM);
    const params = { ...filter.params, pool };
    if (rare.length > 0) {
      const ranked = this.#sql(
        `SELECT m.seq, f.rank FROM memories_fts f JOIN memories m ON m.seq = f.rowid
          WHERE memories_fts MATCH @match AND ${filter.sql} ORDER BY f.rank LIMIT @pool`,
      )
        .raw()
        .all({ ...params, match: fts5Query(rare) }) as [bigint, number][];
      const score = new Map(ranked.map(([seq, rank]) => [Number(seq), -rank]));
      const candidates = JSON.stringify([...score.keys()]);
      for (const term of common) {
        const holding = this.#sql('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))')
          .pluck()
          .all(fts5Query([term]), candidates) as bigint[];
        for (const seq of holding) score.set(Number(seq), score.get(Number(seq))! + COMMON_BONUS);
      }
      return [...score].sort((a, b) => b[1] - a[1]).map(([seq]) => seq);
    }
    if (common.length === 0) return [];
    const among = selected();
    const newest = among
      ? (match: string) => this.#newestAmong(match, among, pool)
      : (match: string) =>
          (
            this.#sql(
              `SELECT m.seq FROM memories_fts f JOIN memories m ON m.seq = f.rowid
              WHERE memories_fts MATCH @match AND ${filter.sql} ORDER BY f.rowid DESC LIMIT @pool`,
            )
              .pluck()
              .all({ ...params, match }) as bigint[]
          ).map(Number);
    const holdingAll = common.length > 1 ? newest(common.map((t) => `"${t}"`).join(' AND ')) : [];
    return [...new Set([...holdingAll, ...newest(fts5Query(common)!)])].slice(0, pool);
  }

  /** The newest `pool` of the `selected` rows (ascending) that match `match`. */
  #newestAmong(match: string, selected: number[], pool: number): number[] {
    if (selected.length === 0) return [];
    const keep = new Set(selected);
    const found: number[] = [];
    const rows = this.#sql('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC')
      .pluck()
      // As integers: bound as a JavaScript number (a double), the range is not used by FTS5 to seek.
      .iterate(match, BigInt(selected[0]!), BigInt(selected.at(-1)!)) as IterableIterator<bigint>;
    for (const seq of rows) {
      if (keep.has(Number(seq)) && found.push(Number(seq)) === pool) break;
    }
    return found;
  }

  /**
   * The plan of a recall: when an indexed filter (the time window, the robot and episode, the place) bounds the
   * matching memories to at most #filterFirstBelow, the rows passing every filter, ascending; else null, and the
   * rankings run over every match with the filters applied to what they find. Counting stops at the bound, so a
   * broad filter costs at most that many index entries per indexed filter.
   */
  #selectedRows(query: RecallQuery, filter: Filter): number[] | null {
    if (this.#filterFirstBelow <= 0) return null;
    for (const bound of this.#indexedBounds(query)) {
      const within = Number(
        this.#sql(`SELECT count(*) FROM (SELECT 1 FROM memories m INDEXED BY ${bound.index} WHERE ${bound.sql} LIMIT @cap)`)
          .pluck()
          .get({ ...bound.params, cap: this.#filterFirstBelow + 1 }),
      );
      if (within > this.#filterFirstBelow) continue;
      const rows = this.#sql(`SELECT m.seq FROM memories m INDEXED BY ${bound.index} WHERE ${bound.sql} AND ${filter.sql}`)
        .pluck()
        .all({ ...filter.params, ...bound.params }) as bigint[];
      this.#logger.debug(`memory store: recall ranks the ${rows.length} memories selected by ${bound.index} (${within} in its range)`);
      return rows.map(Number).sort((a, b) => a - b);
    }
    return null;
  }

  /** Conditions implied by the query's filters that an index answers by a range, most selective kinds first. */
  #indexedBounds(q: RecallQuery): (Filter & { index: string })[] {
    const bounds: (Filter & { index: string })[] = [];
    if (q.since !== undefined || q.until !== undefined) {
      const clauses: string[] = [];
      const params: Record<string, unknown> = {};
      if (q.since !== undefined) {
        const longest = this.#sql('SELECT end_ns - start_ns FROM memories INDEXED BY memories_span ORDER BY end_ns - start_ns DESC LIMIT 1')
          .pluck()
          .get() as bigint | undefined;
        clauses.push('m.start_ns >= @windowFrom');
        params.windowFrom = q.since - (longest ?? 0n);
      }
      if (q.until !== undefined) {
        clauses.push('m.start_ns < @windowTo');
        params.windowTo = q.until;
      }
      bounds.push({ index: 'memories_start', sql: clauses.join(' AND '), params });
    }
    if (q.robotId !== undefined) {
      let sql = 'm.robot_id = @robotId';
      if (q.episode !== undefined) sql += ' AND m.episode = @episode';
      if (q.episode !== undefined && q.since !== undefined) sql += ' AND m.end_ns > @since';
      bounds.push({ index: 'memories_window', sql, params: { robotId: q.robotId, episode: q.episode, since: q.since } });
    }
    if (q.near) {
      const { x, y, radius } = q.near;
      bounds.push({
        index: 'memories_place',
        sql: 'm.pose_x BETWEEN @nearX - @radius AND @nearX + @radius AND m.pose_y BETWEEN @nearY - @radius AND @nearY + @radius',
        params: { nearX: x, nearY: y, radius },
      });
    }
    return bounds;
  }

  #passing(candidates: number[], filter: Filter): Set<number> {
    const rows = this.#sql(`SELECT m.seq FROM memories m WHERE m.seq IN (SELECT value FROM json_each(@candidates)) AND ${filter.sql}`)
      .pluck()
      .all({ ...filter.params, candidates: JSON.stringify(candidates) }) as bigint[];
    return new Set(rows.map(Number));
  }

  #vectors(keys: number[]): Map<number, Float32Array> {
    const rows = this.#sql('SELECT seq, vector FROM memory_vectors WHERE seq IN (SELECT value FROM json_each(?))')
      .raw()
      .all(JSON.stringify(keys)) as [bigint, Buffer][];
    return new Map(rows.map(([seq, vector]) => [Number(seq), embeddingFromBytes(vector)]));
  }

  /**
   * The in-memory index: loaded on first use, kept in step by this store's own writes, and brought up to date
   * with the vectors other connections stored (rows numbered above the last one loaded) when the file changed.
   */
  #vectorIndex(): BinaryVectorIndex {
    const dataVersion = this.#db.pragma('data_version', { simple: true }) as bigint;
    if (this.#index && dataVersion === this.#indexDataVersion) return this.#index;
    if (!this.#index) {
      const dims = this.#sql("SELECT value FROM store_meta WHERE key = 'vector_dims'").pluck().get() as string | undefined;
      if (dims === undefined) return new BinaryVectorIndex(0);
      this.#index = new BinaryVectorIndex(Number(dims));
    }
    const started = performance.now();
    let loaded = 0;
    for (const [vseq, seq, code] of this.#sql('SELECT vseq, seq, code FROM memory_vectors WHERE vseq > ? ORDER BY vseq')
      .raw()
      .iterate(this.#indexedUpTo) as IterableIterator<[bigint, bigint, Buffer]>) {
      this.#index.set(Number(seq), code);
      this.#indexedUpTo = vseq;
      loaded++;
    }
    if (loaded > 10_000) this.#logger.info(`memory store: loaded ${loaded} vector codes in ${Math.round(performance.now() - started)} ms`);
    this.#indexDataVersion = dataVersion;
    return this.#index;
  }

  #rowsBySeq(seqs: number[]): Map<number, Row> {
    const rows = this.#sql(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.seq IN (SELECT value FROM json_each(?))`).all(
      JSON.stringify(seqs),
    ) as Row[];
    return new Map(rows.map((row) => [Number(row.seq), row]));
  }

  #toMemory(row: Row): Memory {
    const thumbnails = this.#keepThumbnails
      ? (this.#sql('SELECT jpeg FROM memory_thumbnails WHERE seq = ? ORDER BY idx').pluck().all(row.seq) as Buffer[]).map(
          (b) => new Uint8Array(b),
        )
      : [];
    return memoryFromRow(row, thumbnails);
  }
}

interface Filter {
  /** A boolean SQL expression over `m` (the memories table); '1' when nothing is filtered. */
  sql: string;
  params: Record<string, unknown>;
}

function recallFilter(q: RecallQuery): Filter {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  const add = (sql: string, values: Record<string, unknown>) => {
    clauses.push(sql);
    Object.assign(params, values);
  };
  if (q.since !== undefined) add('m.end_ns > @since', { since: q.since });
  if (q.until !== undefined) add('m.start_ns < @until', { until: q.until });
  if (q.asOf !== undefined) add('m.created_ns <= @asOf', { asOf: q.asOf });
  if (q.robotId !== undefined) add('m.robot_id = @robotId', { robotId: q.robotId });
  if (q.episode !== undefined) add('m.episode = @episode', { episode: q.episode });
  if (q.taskGroup !== undefined) add('m.task_group = @taskGroup', { taskGroup: q.taskGroup });
  if (q.person !== undefined) add('m.seq IN (SELECT seq FROM memory_people WHERE person_id = @person)', { person: q.person });
  if (q.near) {
    const { x, y, radius } = q.near;
    add(
      `m.pose_x BETWEEN @nearX - @radius AND @nearX + @radius AND m.pose_y BETWEEN @nearY - @radius AND @nearY + @radius
       AND (m.pose_x - @nearX) * (m.pose_x - @nearX) + (m.pose_y - @nearY) * (m.pose_y - @nearY) <= @radius * @radius`,
      { nearX: x, nearY: y, radius },
    );
  }
  return { sql: clauses.length === 0 ? '1' : clauses.join(' AND '), params };
}

/** `~` or `~/x` → the home folder. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}
