import type { RosNanos } from '../../time.js';
import type { Memory } from '../Memory.js';
import type {
  EmbeddingEntry,
  ForgetQuery,
  MemoryEmbedding,
  MemoryRecords,
  RecallQuery,
  RecallResult,
  UnembeddedPage,
} from '../MemoryRecords.js';
import { MEMORY_COLUMNS, memoryFromRow, memoryToRow, type MemoryRow } from '../memoryRow.js';
import { searchTerms } from '../searchTerms.js';
import { fuseRankings } from '../fuseRankings.js';
import type { Erasure } from './Erasure.js';
import { BoundedFullText, type FullTextIndex } from './BoundedFullText.js';
import type { QuotingRecords } from './QuotingRecords.js';
import { recallFilter } from './recallFilter.js';
import type { RecallPlan } from './RecallPlan.js';
import { sqlBoolean, type SqlConnection, type SqlExecutor, type SqlInteger, type SqlParams } from './SqlConnection.js';
import type { VectorTable } from './VectorTable.js';

export interface SqlMemoryRecordsOptions {
  sql: SqlConnection;
  /** Keep keyframe thumbnails (otherwise `thumbnails` of stored memories come back empty). */
  keepThumbnails: boolean;
  fullText: FullTextIndex;
  vectors: VectorTable;
  plan: RecallPlan;
  /** Whether recall's filter bounds a window's start for the server's planner (see recallFilter). */
  boundWindowStart: boolean;
  /** How the backend erases what forget deletes: the bytes it frees overwritten, and then purged (`purgeForgotten`). */
  erasure: Erasure;
  /**
   * Whether forget purges the memory tables once it has committed (SQLite: empties the write-ahead log). False
   * where the purge rewrites them under a lock (PostgreSQL's VACUUM FULL, minutes at fleet sizes): the dead row
   * versions then wait for the server's vacuum (docs/data-safety.md).
   */
  purgeForgotten: boolean;
  /** The records that quote memories, removed with the memories forget deletes (answers, preference pairs). */
  quoting: readonly QuotingRecords[];
}

const DEFAULT_LIMIT = 10;
/**
 * A memory's vectors are deleted by the store, model by model through the (model, seq) key: SQLite keeps no
 * index on seq alone (one more written with every vector), so neither a cascade nor `seq = …` alone would be cheap.
 */
const OF_EVERY_MODEL = 'model IN (SELECT model FROM vector_models)';
const DEFAULT_PAGE = 100;

/** A write transaction, and what it leaves to do once it has committed. */
interface Write {
  tx: SqlExecutor;
  /** Dimensions of the models whose vectors it checked: known for good once it commits. */
  dims: Map<string, number>;
  /** Row numbers of memories whose vectors it deleted (forgotten, or re-memorized with other text). */
  vectorsDeleted: number[];
}

/**
 * Memories with their thumbnails, full-text entries, vectors and people (tables `memories`, `memory_thumbnails`,
 * `memory_vectors`, `vector_models`, `memory_people`), in SQL both dialects share. The backend supplies what differs: full-text
 * search, vector storage and search, and how a recall's filters select rows first.
 */
export class SqlMemoryRecords implements MemoryRecords {
  readonly #sql: SqlConnection;
  readonly #keepThumbnails: boolean;
  readonly #fullText: FullTextIndex;
  readonly #ranking: BoundedFullText;
  readonly #vectors: VectorTable;
  readonly #plan: RecallPlan;
  readonly #boundWindowStart: boolean;
  readonly #erasure: Erasure;
  readonly #purgeForgotten: boolean;
  readonly #quoting: readonly QuotingRecords[];
  /** Dimensions of models whose first vector was committed; they never change. */
  readonly #dims = new Map<string, number>();

  constructor({
    sql,
    keepThumbnails,
    fullText,
    vectors,
    plan,
    boundWindowStart,
    erasure,
    purgeForgotten,
    quoting,
  }: SqlMemoryRecordsOptions) {
    this.#sql = sql;
    this.#keepThumbnails = keepThumbnails;
    this.#fullText = fullText;
    this.#ranking = new BoundedFullText(fullText);
    this.#vectors = vectors;
    this.#plan = plan;
    this.#boundWindowStart = boundWindowStart;
    this.#erasure = erasure;
    this.#purgeForgotten = purgeForgotten;
    this.#quoting = quoting;
  }

  async put(memory: Memory, embedding: MemoryEmbedding | null = null): Promise<boolean> {
    if (embedding) checkEmbedding(embedding, `${this.#sql.owner}#put ${memory.id}`);
    return this.#writing((write) => this.#write(write, memory, embedding));
  }

  /**
   * Stores many memories in one transaction (an import or a bulk load): all or none are stored. Returns how many
   * were new or changed. `put` keeps its one transaction per memory for the live pipeline.
   */
  async putMany(entries: Iterable<{ memory: Memory; embedding?: MemoryEmbedding | null }>): Promise<number> {
    const batch = [...entries];
    for (const { memory, embedding } of batch) if (embedding) checkEmbedding(embedding, `${this.#sql.owner}#putMany ${memory.id}`);
    return this.#writing(async (write) => {
      let stored = 0;
      for (const { memory, embedding } of batch) if (await this.#write(write, memory, embedding ?? null)) stored++;
      return stored;
    });
  }

  async get(id: string): Promise<Memory | null> {
    const row = await this.#sql.get<MemoryRow>(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.id = @id`, { id });
    return row ? (await this.#toMemories(this.#sql, [row]))[0]! : null;
  }

  async recall(query: RecallQuery): Promise<RecallResult> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const pool = Math.max(limit * 5, 50);
    const filter = recallFilter(query, {
      longestSpan: this.#boundWindowStart && query.since !== undefined ? await this.#longestSpan() : undefined,
    });
    // Planned once, when a ranking first needs it (rare words and server-side vector search do not).
    let planned: Promise<number[] | null> | undefined;
    const selected = () => (planned ??= this.#plan(query, filter));
    const terms = query.text === undefined ? [] : searchTerms(query.text);
    const { vector } = query;
    // The two retrievals run at once: on a server the full text runs there while the vectors are searched here.
    const rankings = (
      await Promise.all([
        terms.length > 0 ? this.#ranking.rank(terms, filter, pool, selected).then((keys) => ({ by: 'text' as const, keys })) : null,
        vector
          ? this.#holdsVectorsLike(vector).then(async (holds) =>
              holds ? { by: 'vector' as const, keys: await this.#vectors.rank(vector, filter, pool, selected) } : null,
            )
          : null,
      ])
    ).filter((ranking) => ranking !== null);
    const searchedBy = rankings.map((r) => r.by);
    if (rankings.length === 0) {
      const rows = await this.#sql.all<MemoryRow>(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${filter.sql} ORDER BY m.start_ns DESC LIMIT @limit`,
        { ...filter.params, limit },
      );
      const memories = await this.#toMemories(this.#sql, rows);
      return { memories: memories.map((memory) => ({ memory, score: 0, matchedBy: ['filter'] })), searchedBy };
    }
    const fused = fuseRankings(rankings).slice(0, limit);
    const rows = await this.#sql.all<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${this.#sql.dialect.inList('m.seq', 'seqs', 'bigint')}`,
      { seqs: this.#sql.dialect.list(fused.map((f) => f.key)) },
    );
    const bySeq = new Map((await this.#toMemories(this.#sql, rows)).map((memory, i) => [Number(rows[i]!.seq), memory]));
    // A memory forgotten since it was ranked is left out.
    const found = fused.filter((f) => bySeq.has(f.key));
    return { memories: found.map((f) => ({ memory: bySeq.get(f.key)!, score: f.score, matchedBy: f.matchedBy })), searchedBy };
  }

  /** The longest memory's end minus start, from the memories_span index (0 without memories). */
  async #longestSpan(): Promise<bigint> {
    const row = await this.#sql.get<{ span: SqlInteger }>(
      'SELECT end_ns - start_ns AS span FROM memories ORDER BY end_ns - start_ns DESC LIMIT 1',
    );
    return row ? BigInt(row.span) : 0n;
  }

  async window(robotId: string, episode: number, before: RosNanos, limit: number): Promise<Memory[]> {
    const rows = await this.#sql.all<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.robot_id = @robotId AND m.episode = @episode AND m.end_ns <= @before
       ORDER BY m.end_ns DESC LIMIT @limit`,
      { robotId, episode, before, limit },
    );
    return this.#toMemories(this.#sql, rows.reverse());
  }

  async forget(query: ForgetQuery): Promise<Memory[]> {
    const { dialect } = this.#sql;
    const clauses: string[] = [];
    const params: Record<string, SqlParams[string]> = {};
    if (query.ids) {
      clauses.push(dialect.inList('m.id', 'ids', 'text'));
      params.ids = dialect.list(query.ids);
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
      const holding = this.#fullText.holdingAll(terms);
      clauses.push(holding.sql);
      Object.assign(params, holding.params);
    }
    if (clauses.length === 0)
      throw new Error(`${this.#sql.owner}#forget: give ids, a time range or text; forgetting everything is not a query`);
    const forget = () =>
      this.#writing(async ({ tx, vectorsDeleted }) => {
        const rows = await tx.all<MemoryRow>(
          `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${clauses.join(' AND ')}${dialect.forUpdate}`,
          params,
        );
        const memories = await this.#toMemories(tx, rows);
        vectorsDeleted.push(...rows.map((row) => Number(row.seq)));
        if (rows.length > 0) {
          const seqs = { seqs: dialect.list(vectorsDeleted) };
          await tx.run(`DELETE FROM memory_vectors WHERE ${OF_EVERY_MODEL} AND ${dialect.inList('seq', 'seqs', 'bigint')}`, seqs);
          // Thumbnails go with the memory (ON DELETE CASCADE), its full-text entry with it (a trigger, or the row's own column).
          await tx.run(`DELETE FROM memories WHERE ${dialect.inList('seq', 'seqs', 'bigint')}`, seqs);
          for (const records of this.#quoting) await records.removeQuoting(tx, memories);
        }
        return memories;
      });
    const memories = await this.#erasure.overwriting(forget);
    // The log may still hold the pages as they were; a reader's snapshot can delay that until a later checkpoint.
    if (memories.length > 0 && this.#purgeForgotten)
      await this.#erasure.purge([
        'memories',
        'memory_thumbnails',
        'memory_vectors',
        'memory_people',
        'answers',
        'preferences',
        'preference_images',
      ]);
    return memories;
  }

  async count(): Promise<number> {
    const row = await this.#sql.get<{ n: SqlInteger }>('SELECT count(*) AS n FROM memories');
    return Number(row!.n);
  }

  async putEmbeddings(entries: Iterable<EmbeddingEntry>): Promise<number> {
    const batch = [...entries];
    const where = `${this.#sql.owner}#putEmbeddings`;
    for (const { memory, embedding } of batch) checkEmbedding(embedding, `${where} ${memory.id}`);
    if (batch.length === 0) return 0;
    return this.#writing(async (write) => {
      let stored = 0;
      for (const { memory, embedding } of batch) {
        // Locked, so that a re-memorization waits rather than keeps a vector of the text it replaced.
        const row = await write.tx.get<{ seq: SqlInteger }>(
          `SELECT seq FROM memories WHERE id = @id AND text = @text${this.#sql.dialect.forUpdate}`,
          { id: memory.id, text: memory.text },
        );
        if (row && (await this.#insertVector(write, BigInt(row.seq), embedding, `${where} ${memory.id}`))) stored++;
      }
      return stored;
    });
  }

  async unembedded(
    model: string,
    { after = null, limit = DEFAULT_PAGE }: { after?: string | null; limit?: number } = {},
  ): Promise<UnembeddedPage> {
    const where = `${this.#sql.owner}#unembedded`;
    if (after !== null && !/^\d{1,19}$/.test(after)) throw new Error(`${where}: ${JSON.stringify(after)} is not a cursor this store gave`);
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`${where}: limit must be a positive integer, got ${limit}`);
    const { dialect } = this.#sql;
    // One more than a page, to know whether another follows.
    const seqs = await this.#sql.all<{ seq: SqlInteger }>(dialect.unembedded, {
      after: after === null ? 0n : BigInt(after),
      model,
      rows: limit + 1,
    });
    const page = seqs.slice(0, limit).map((row) => Number(row.seq));
    const rows = await this.#sql.all<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${dialect.inList('m.seq', 'seqs', 'bigint')} ORDER BY m.seq`,
      { seqs: dialect.list(page) },
    );
    return { memories: await this.#toMemories(this.#sql, rows), next: seqs.length > limit ? String(page.at(-1)) : null };
  }

  async countUnembedded(model: string): Promise<number> {
    // Every vector row belongs to a stored memory (deleted with it), and a memory has at most one per model.
    const row = await this.#sql.get<{ n: SqlInteger }>(
      'SELECT (SELECT count(*) FROM memories) - (SELECT count(*) FROM memory_vectors WHERE model = @model) AS n',
      { model },
    );
    return Number(row!.n);
  }

  /** Runs `work` in a write transaction; once it has committed, keeps what it learnt and drops deleted codes. */
  async #writing<T>(work: (write: Write) => Promise<T>): Promise<T> {
    const dims = new Map<string, number>();
    const vectorsDeleted: number[] = [];
    const result = await this.#sql.transaction((tx) => work({ tx, dims, vectorsDeleted }));
    for (const [model, length] of dims) this.#dims.set(model, length);
    if (vectorsDeleted.length > 0) this.#vectors.deleted(vectorsDeleted);
    return result;
  }

  /** The body of a put, inside the caller's transaction; true when the memory was new or changed. */
  async #write(write: Write, memory: Memory, embedding: MemoryEmbedding | null): Promise<boolean> {
    const { tx } = write;
    const where = `${this.#sql.owner}#put ${memory.id}`;
    const existing = await tx.get<{ seq: SqlInteger; text: string }>(
      `SELECT seq, text FROM memories WHERE id = @id${this.#sql.dialect.forUpdate}`,
      { id: memory.id },
    );
    if (existing && existing.text === memory.text) {
      if (embedding) await this.#insertVector(write, BigInt(existing.seq), embedding, where);
      return false;
    }
    const values = memoryToRow(memory);
    const columns = Object.keys(values);
    let seq: bigint;
    if (existing) {
      seq = BigInt(existing.seq);
      await tx.run(`UPDATE memories SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE seq = @seq`, { ...values, seq });
      await tx.run('DELETE FROM memory_thumbnails WHERE seq = @seq', { seq });
      // The text changed: a vector of any model describes the text replaced.
      await tx.run(`DELETE FROM memory_vectors WHERE ${OF_EVERY_MODEL} AND seq = @seq`, { seq });
      write.vectorsDeleted.push(Number(seq));
    } else {
      const inserted = await tx.get<{ seq: SqlInteger }>(
        `INSERT INTO memories (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})
         ON CONFLICT (id) DO NOTHING RETURNING seq`,
        values,
      );
      if (!inserted) throw new Error(`${where}: written concurrently by another client`);
      seq = BigInt(inserted.seq);
    }
    // A re-memorized segment's people are those of its new memory (recognised again, or forgotten meanwhile).
    if (existing) await tx.run('DELETE FROM memory_people WHERE seq = @seq', { seq });
    for (const person of new Set(memory.people)) {
      await tx.run('INSERT INTO memory_people (person_id, seq) VALUES (@person, @seq)', { person, seq });
    }
    if (this.#keepThumbnails) {
      for (const [idx, jpeg] of memory.thumbnails.entries()) {
        await tx.run('INSERT INTO memory_thumbnails (seq, idx, jpeg) VALUES (@seq, @idx, @jpeg)', { seq, idx, jpeg: Buffer.from(jpeg) });
      }
    }
    if (embedding) await this.#insertVector(write, seq, embedding, where);
    return true;
  }

  /** Stores a vector unless the memory has one of its model, after checking its length against the model's. */
  async #insertVector(write: Write, seq: bigint, embedding: MemoryEmbedding, where: string): Promise<boolean> {
    const { model, vector } = embedding;
    const dims = this.#dims.get(model) ?? write.dims.get(model) ?? (await this.#modelDims(write.tx, model, vector.length));
    write.dims.set(model, dims);
    if (dims !== vector.length) {
      throw new Error(
        `${where}: embedding has ${vector.length} dimensions but this store holds ${dims}-dimensional vectors of ${JSON.stringify(model)}`,
      );
    }
    return this.#vectors.insert(write.tx, seq, embedding);
  }

  /** The model's dimensions as stored; a model's first vector fixes them (`dims`). */
  async #modelDims(tx: SqlExecutor, model: string, dims: number): Promise<number> {
    const known = 'SELECT dims FROM vector_models WHERE model = @model';
    let row = await tx.get<{ dims: SqlInteger }>(known, { model });
    if (!row) {
      // A concurrent first writer may win: what holds is read back.
      const recorded = await tx.run('INSERT INTO vector_models (model, dims) VALUES (@model, @dims) ON CONFLICT (model) DO NOTHING', {
        model,
        dims,
      });
      if (recorded > 0) await this.#vectors.modelRecorded(tx, model, dims);
      row = await tx.get<{ dims: SqlInteger }>(known, { model });
    }
    return Number(row!.dims);
  }

  /** Whether the store holds vectors of the query's model; a query of another length than the model's is an error. */
  async #holdsVectorsLike({ model, vector }: MemoryEmbedding): Promise<boolean> {
    const row = await this.#sql.get<{ dims: SqlInteger; held: SqlInteger | boolean }>(
      'SELECT dims, EXISTS (SELECT 1 FROM memory_vectors WHERE model = @model) AS held FROM vector_models WHERE model = @model',
      { model },
    );
    if (!row || !sqlBoolean(row.held)) return false;
    if (Number(row.dims) !== vector.length) {
      throw new Error(
        `${this.#sql.owner}#recall: the query embedding of ${JSON.stringify(model)} has ${vector.length} dimensions but the stored ones have ${row.dims}`,
      );
    }
    return true;
  }

  /** Memories of rows read through `executor` (the transaction that read them, if any), thumbnails included. */
  async #toMemories(executor: SqlExecutor, rows: MemoryRow[]): Promise<Memory[]> {
    const thumbnails = new Map<string, Uint8Array[]>();
    if (this.#keepThumbnails && rows.length > 0) {
      const { dialect } = this.#sql;
      const jpegs = await executor.all<{ seq: SqlInteger; jpeg: Buffer }>(
        `SELECT seq, jpeg FROM memory_thumbnails WHERE ${dialect.inList('seq', 'seqs', 'bigint')} ORDER BY seq, idx`,
        { seqs: dialect.list(rows.map((row) => Number(row.seq))) },
      );
      for (const { seq, jpeg } of jpegs) {
        const list = thumbnails.get(String(seq));
        if (list) list.push(new Uint8Array(jpeg));
        else thumbnails.set(String(seq), [new Uint8Array(jpeg)]);
      }
    }
    return rows.map((row) => memoryFromRow(row, thumbnails.get(String(row.seq)) ?? []));
  }
}

/** A vector is stored only with the name of the model that made it, and only when it has a dimension. */
function checkEmbedding({ model, vector }: MemoryEmbedding, where: string): void {
  if (typeof model !== 'string' || model.trim() === '') throw new Error(`${where}: the embedding names no model`);
  if (vector.length === 0) throw new Error(`${where}: the embedding of ${JSON.stringify(model)} is empty`);
}
