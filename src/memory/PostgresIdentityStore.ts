import type pg from 'pg';
import type { RosNanos } from '../time.js';
import { embeddingFromBytes, embeddingToBytes } from './embedding.js';
import {
  centroidOf,
  personId,
  personNumber,
  type Appearance,
  type FaceObservation,
  type ForgottenIdentity,
  type Identity,
  type IdentityStore,
} from './IdentityStore.js';
import { IDENTITY_COLUMNS, identityFromRow } from './identityRow.js';
import { postgresTransaction } from './postgresTransaction.js';

type Row = Record<string, unknown>;

/**
 * The identities of a PostgreSQL memory store, on the store's pool (tables of postgresMigrations). Changes to one
 * identity are serialised by locking its row. `forget` rewrites both tables afterwards (VACUUM FULL), so the
 * deleted rows are not left in the tables' files; PostgreSQL's write-ahead log keeps them until it is recycled.
 */
export class PostgresIdentityStore implements IdentityStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async list(): Promise<Identity[]> {
    return (await this.#pool.query(`SELECT ${IDENTITY_COLUMNS} FROM identities ORDER BY num`)).rows.map(identityFromRow);
  }

  async get(id: string): Promise<Identity | null> {
    return this.#get(this.#pool, id);
  }

  async create(face: FaceObservation): Promise<Identity> {
    return postgresTransaction(this.#pool, async (c) => {
      const { rows } = await c.query(
        'INSERT INTO identities (centroid, first_ns, last_ns, sightings) VALUES ($1, $2, $2, 1) RETURNING num',
        [embeddingToBytes(face.embedding), face.stamp],
      );
      const num = (rows[0] as Row).num as bigint;
      await c.query('INSERT INTO identity_embeddings (num, memory_id, stamp_ns, embedding) VALUES ($1, $2, $3, $4)', [
        num,
        face.memoryId,
        face.stamp,
        embeddingToBytes(face.embedding),
      ]);
      return (await this.#get(c, personId(num)))!;
    });
  }

  async observe(id: string, face: FaceObservation, keep: number): Promise<Identity | null> {
    const num = personNumber(id);
    if (num === null || keep < 1) return null;
    return postgresTransaction(this.#pool, async (c) => {
      if ((await c.query('SELECT 1 FROM identities WHERE num = $1 FOR UPDATE', [num])).rowCount === 0) return null;
      const seen =
        (await c.query('SELECT 1 FROM identity_embeddings WHERE num = $1 AND memory_id = $2', [num, face.memoryId])).rowCount! > 0;
      await c.query(
        `INSERT INTO identity_embeddings (num, memory_id, stamp_ns, embedding) VALUES ($1, $2, $3, $4)
         ON CONFLICT (num, memory_id) DO UPDATE SET stamp_ns = excluded.stamp_ns, embedding = excluded.embedding`,
        [num, face.memoryId, face.stamp, embeddingToBytes(face.embedding)],
      );
      await c.query(
        `DELETE FROM identity_embeddings WHERE num = $1 AND memory_id NOT IN
         (SELECT memory_id FROM identity_embeddings WHERE num = $1 ORDER BY stamp_ns DESC, memory_id DESC LIMIT $2)`,
        [num, keep],
      );
      const kept = (await c.query('SELECT embedding FROM identity_embeddings WHERE num = $1', [num])).rows.map((r: Row) =>
        embeddingFromBytes(r.embedding as Buffer),
      );
      await c.query(
        `UPDATE identities SET centroid = $2, first_ns = least(first_ns, $3), last_ns = greatest(last_ns, $3),
         sightings = sightings + $4 WHERE num = $1`,
        [num, embeddingToBytes(centroidOf(kept)), face.stamp, seen ? 0 : 1],
      );
      return this.#get(c, id);
    });
  }

  async name(id: string, name: string | null): Promise<boolean> {
    const num = personNumber(id);
    if (num === null) return false;
    return ((await this.#pool.query('UPDATE identities SET name = $1 WHERE num = $2', [name, num])).rowCount ?? 0) > 0;
  }

  async forget(id: string): Promise<ForgottenIdentity | null> {
    const num = personNumber(id);
    if (num === null) return null;
    const removed = await postgresTransaction(this.#pool, async (c) => {
      const identity = await this.#get(c, id);
      if (!identity) return null;
      const { rowCount } = await c.query('DELETE FROM identity_embeddings WHERE num = $1', [num]);
      await c.query('DELETE FROM identities WHERE num = $1', [num]);
      return { identity, embeddings: rowCount ?? 0 };
    });
    if (!removed) return null;
    // Deleted rows stay in the table files until they are rewritten; VACUUM cannot run inside a transaction.
    await this.#pool.query('VACUUM (FULL) identity_embeddings, identities');
    return { ...removed, erased: true };
  }

  async appearances(id: string, { limit = 20, asOf }: { limit?: number; asOf?: RosNanos } = {}): Promise<Appearance[]> {
    const { rows } = await this.#pool.query(
      `SELECT m.id, m.start_ns, m.end_ns FROM memory_people p JOIN memories m ON m.seq = p.seq
       WHERE p.person_id = $1 AND ($2::bigint IS NULL OR m.created_ns <= $2) ORDER BY m.start_ns DESC LIMIT $3`,
      [id, asOf ?? null, limit],
    );
    return rows.map((r: Row) => ({ memoryId: r.id as string, start: r.start_ns as bigint, end: r.end_ns as bigint }));
  }

  async #get(client: pg.Pool | pg.PoolClient, id: string): Promise<Identity | null> {
    const num = personNumber(id);
    if (num === null) return null;
    const row = (await client.query(`SELECT ${IDENTITY_COLUMNS} FROM identities WHERE num = $1`, [num])).rows[0] as Row | undefined;
    return row ? identityFromRow(row) : null;
  }
}
