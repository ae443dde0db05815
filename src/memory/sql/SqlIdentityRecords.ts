import type { RosNanos } from '../../time.js';
import { embeddingFromBytes, embeddingToBytes } from '../embedding.js';
import {
  centroidOf,
  personId,
  personNumber,
  type Appearance,
  type FaceObservation,
  type ForgottenIdentity,
  type Identity,
  type IdentityRecords,
} from '../IdentityRecords.js';
import type { Memory } from '../Memory.js';
import type { Erasure } from './Erasure.js';
import type { QuotingRecords } from './QuotingRecords.js';
import type { SqlConnection, SqlExecutor, SqlInteger } from './SqlConnection.js';

interface IdentityRow {
  num: SqlInteger;
  name: string | null;
  centroid: Buffer;
  first_ns: SqlInteger;
  last_ns: SqlInteger;
  sightings: SqlInteger;
  embeddings: SqlInteger;
}

/** The SELECT list of an `IdentityRow`: the identity and its count of kept embeddings. */
const IDENTITY_COLUMNS = `num, name, centroid, first_ns, last_ns, sightings,
  (SELECT count(*) FROM identity_embeddings e WHERE e.num = identities.num) AS embeddings`;

/** The tables that hold a person's face: what a forget erases. */
const FACE_TABLES = ['identity_embeddings', 'identities'] as const;

/**
 * People told apart by face (tables `identities`, `identity_embeddings`; `memory_people` is written with each
 * memory by SqlMemoryRecords), in SQL both dialects share. Every write that deletes or replaces a face embedding
 * or a centroid runs through the backend's `Erasure`, so that what a forget removes is gone from the files too,
 * including embeddings dropped earlier when only the newest were kept. Changes to one identity are serialised by
 * locking its row.
 */
export class SqlIdentityRecords implements IdentityRecords, QuotingRecords {
  readonly #sql: SqlConnection;
  readonly #erasure: Erasure;

  constructor({ sql, erasure }: { sql: SqlConnection; erasure: Erasure }) {
    this.#sql = sql;
    this.#erasure = erasure;
  }

  async identities(): Promise<Identity[]> {
    return (await this.#sql.all<IdentityRow>(`SELECT ${IDENTITY_COLUMNS} FROM identities ORDER BY num`)).map(identityFromRow);
  }

  identity(id: string): Promise<Identity | null> {
    return this.#identity(this.#sql, id);
  }

  createIdentity(face: FaceObservation): Promise<Identity> {
    return this.#sql.transaction(async (tx) => {
      const { num } = (await tx.get<{ num: SqlInteger }>(
        'INSERT INTO identities (centroid, first_ns, last_ns, sightings) VALUES (@centroid, @stamp, @stamp, 1) RETURNING num',
        { centroid: embeddingToBytes(face.embedding), stamp: face.stamp },
      ))!;
      await tx.run('INSERT INTO identity_embeddings (num, memory_id, stamp_ns, embedding) VALUES (@num, @memoryId, @stamp, @embedding)', {
        num: BigInt(num),
        memoryId: face.memoryId,
        stamp: face.stamp,
        embedding: embeddingToBytes(face.embedding),
      });
      return (await this.#identity(tx, personId(num)))!;
    });
  }

  async observeIdentity(id: string, face: FaceObservation, keep: number): Promise<Identity | null> {
    const num = personNumber(id);
    if (num === null || keep < 1) return null;
    const key = { num, memoryId: face.memoryId };
    return this.#erasure.overwriting(() =>
      this.#sql.transaction(async (tx) => {
        if (!(await tx.get(`SELECT num FROM identities WHERE num = @num${this.#sql.dialect.forUpdate}`, { num }))) return null;
        const seen = await tx.get('SELECT num FROM identity_embeddings WHERE num = @num AND memory_id = @memoryId', key);
        await tx.run(
          `INSERT INTO identity_embeddings (num, memory_id, stamp_ns, embedding) VALUES (@num, @memoryId, @stamp, @embedding)
           ON CONFLICT (num, memory_id) DO UPDATE SET stamp_ns = excluded.stamp_ns, embedding = excluded.embedding`,
          { ...key, stamp: face.stamp, embedding: embeddingToBytes(face.embedding) },
        );
        await tx.run(
          `DELETE FROM identity_embeddings WHERE num = @num AND memory_id NOT IN
           (SELECT memory_id FROM identity_embeddings WHERE num = @num ORDER BY stamp_ns DESC, memory_id DESC LIMIT @keep)`,
          { num, keep },
        );
        const kept = await tx.all<{ embedding: Buffer }>('SELECT embedding FROM identity_embeddings WHERE num = @num', { num });
        await tx.run(
          `UPDATE identities SET centroid = @centroid,
             first_ns = CASE WHEN @stamp < first_ns THEN @stamp ELSE first_ns END,
             last_ns = CASE WHEN @stamp > last_ns THEN @stamp ELSE last_ns END,
             sightings = sightings + @added
           WHERE num = @num`,
          {
            num,
            centroid: embeddingToBytes(centroidOf(kept.map((row) => embeddingFromBytes(row.embedding)))),
            stamp: face.stamp,
            added: seen ? 0 : 1,
          },
        );
        return this.#identity(tx, id);
      }),
    );
  }

  async nameIdentity(id: string, name: string | null): Promise<boolean> {
    const num = personNumber(id);
    if (num === null) return false;
    return (await this.#sql.run('UPDATE identities SET name = @name WHERE num = @num', { name, num })) > 0;
  }

  async forgetIdentity(id: string): Promise<ForgottenIdentity | null> {
    const num = personNumber(id);
    if (num === null) return null;
    const removed = await this.#erasure.overwriting(() =>
      this.#sql.transaction(async (tx) => {
        const identity = await this.#identity(tx, id);
        if (!identity) return null;
        const embeddings = await tx.run('DELETE FROM identity_embeddings WHERE num = @num', { num });
        await tx.run('DELETE FROM identities WHERE num = @num', { num });
        return { identity, embeddings };
      }),
    );
    if (!removed) return null;
    return { ...removed, erased: await this.#erasure.purge(FACE_TABLES) };
  }

  /**
   * Removes the face embeddings seen in forgotten memories' segments (biometric data taken from what was
   * forgotten) and recomputes each identity's centroid from the embeddings it keeps; an identity left with none is
   * removed, since nothing it holds was seen outside what was forgotten (its id is never given again). The
   * memories' own `memory_people` rows go with them.
   */
  async removeQuoting(tx: SqlExecutor, forgotten: readonly Memory[]): Promise<number> {
    const { dialect } = this.#sql;
    const ids = { ids: dialect.list(forgotten.map((m) => m.id)) };
    const touched = await tx.all<{ num: SqlInteger }>(
      `SELECT DISTINCT num FROM identity_embeddings WHERE ${dialect.inList('memory_id', 'ids', 'text')}`,
      ids,
    );
    if (touched.length === 0) return 0;
    const removed = await tx.run(`DELETE FROM identity_embeddings WHERE ${dialect.inList('memory_id', 'ids', 'text')}`, ids);
    for (const { num } of touched) {
      const kept = await tx.all<{ embedding: Buffer }>('SELECT embedding FROM identity_embeddings WHERE num = @num', { num });
      if (kept.length === 0) await tx.run('DELETE FROM identities WHERE num = @num', { num });
      else
        await tx.run('UPDATE identities SET centroid = @centroid WHERE num = @num', {
          num,
          centroid: embeddingToBytes(centroidOf(kept.map((row) => embeddingFromBytes(row.embedding)))),
        });
    }
    return removed;
  }

  async appearances(id: string, { limit = 20, asOf }: { limit?: number; asOf?: RosNanos } = {}): Promise<Appearance[]> {
    const rows = await this.#sql.all<{ id: string; start_ns: SqlInteger; end_ns: SqlInteger }>(
      `SELECT m.id, m.start_ns, m.end_ns FROM memory_people p JOIN memories m ON m.seq = p.seq
       WHERE p.person_id = @id${asOf === undefined ? '' : ' AND m.created_ns <= @asOf'} ORDER BY m.start_ns DESC LIMIT @limit`,
      { id, asOf, limit },
    );
    return rows.map((row) => ({ memoryId: row.id, start: BigInt(row.start_ns), end: BigInt(row.end_ns) }));
  }

  /** The identity as `executor` (a transaction, or the connection) reads it. */
  async #identity(executor: SqlExecutor, id: string): Promise<Identity | null> {
    const num = personNumber(id);
    if (num === null) return null;
    const row = await executor.get<IdentityRow>(`SELECT ${IDENTITY_COLUMNS} FROM identities WHERE num = @num`, { num });
    return row ? identityFromRow(row) : null;
  }
}

function identityFromRow(row: IdentityRow): Identity {
  return {
    id: personId(row.num),
    name: row.name,
    centroid: embeddingFromBytes(row.centroid),
    firstSeen: BigInt(row.first_ns),
    lastSeen: BigInt(row.last_ns),
    sightings: Number(row.sightings),
    embeddings: Number(row.embeddings),
  };
}
