import type Database from 'better-sqlite3';
import type { RosNanos } from '../time.js';
import { embeddingFromBytes, embeddingToBytes } from './embedding.js';
import { IDENTITY_COLUMNS, identityFromRow } from './identityRow.js';
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

type Row = Record<string, unknown>;

/**
 * The identities of a SQLite memory store, on the store's own connection (tables of sqliteMigrations). Every
 * change is one immediate transaction. `forget` overwrites what it deletes (secure_delete) and truncates the
 * write-ahead log, so a forgotten person's embeddings are not left in the file's free pages or in the log.
 */
export class SqliteIdentityStore implements IdentityStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  async list(): Promise<Identity[]> {
    return (this.#db.prepare(`SELECT ${IDENTITY_COLUMNS} FROM identities ORDER BY num`).all() as Row[]).map(identityFromRow);
  }

  async get(id: string): Promise<Identity | null> {
    return this.#get(id);
  }

  async create(face: FaceObservation): Promise<Identity> {
    return this.#db
      .transaction(() => {
        const { lastInsertRowid } = this.#db
          .prepare('INSERT INTO identities (centroid, first_ns, last_ns, sightings) VALUES (?, ?, ?, 1)')
          .run(embeddingToBytes(face.embedding), face.stamp, face.stamp);
        this.#db
          .prepare('INSERT INTO identity_embeddings (num, memory_id, stamp_ns, embedding) VALUES (?, ?, ?, ?)')
          .run(lastInsertRowid, face.memoryId, face.stamp, embeddingToBytes(face.embedding));
        return this.#get(personId(lastInsertRowid))!;
      })
      .immediate();
  }

  async observe(id: string, face: FaceObservation, keep: number): Promise<Identity | null> {
    const num = personNumber(id);
    if (num === null || keep < 1) return null;
    return this.#db
      .transaction(() => {
        if (!this.#db.prepare('SELECT 1 FROM identities WHERE num = ?').get(num)) return null;
        const seen = this.#db.prepare('SELECT 1 FROM identity_embeddings WHERE num = ? AND memory_id = ?').get(num, face.memoryId);
        this.#db
          .prepare(
            `INSERT INTO identity_embeddings (num, memory_id, stamp_ns, embedding) VALUES (?, ?, ?, ?)
            ON CONFLICT (num, memory_id) DO UPDATE SET stamp_ns = excluded.stamp_ns, embedding = excluded.embedding`,
          )
          .run(num, face.memoryId, face.stamp, embeddingToBytes(face.embedding));
        this.#db
          .prepare(
            `DELETE FROM identity_embeddings WHERE num = @num AND memory_id NOT IN
            (SELECT memory_id FROM identity_embeddings WHERE num = @num ORDER BY stamp_ns DESC, memory_id DESC LIMIT @keep)`,
          )
          .run({ num, keep });
        const kept = (this.#db.prepare('SELECT embedding FROM identity_embeddings WHERE num = ?').pluck().all(num) as Buffer[]).map(
          embeddingFromBytes,
        );
        this.#db
          .prepare(
            `UPDATE identities SET centroid = @centroid, first_ns = min(first_ns, @stamp), last_ns = max(last_ns, @stamp),
            sightings = sightings + @added WHERE num = @num`,
          )
          .run({ num, centroid: embeddingToBytes(centroidOf(kept)), stamp: face.stamp, added: seen ? 0 : 1 });
        return this.#get(id);
      })
      .immediate();
  }

  async name(id: string, name: string | null): Promise<boolean> {
    const num = personNumber(id);
    if (num === null) return false;
    return this.#db.prepare('UPDATE identities SET name = ? WHERE num = ?').run(name, num).changes > 0;
  }

  async forget(id: string): Promise<ForgottenIdentity | null> {
    const num = personNumber(id);
    if (num === null) return null;
    const secure = this.#db.pragma('secure_delete', { simple: true }) as bigint;
    this.#db.pragma('secure_delete = ON');
    let removed: { identity: Identity; embeddings: number } | null;
    try {
      removed = this.#db
        .transaction(() => {
          const identity = this.#get(id);
          if (!identity) return null;
          const { changes } = this.#db.prepare('DELETE FROM identity_embeddings WHERE num = ?').run(num);
          this.#db.prepare('DELETE FROM identities WHERE num = ?').run(num);
          return { identity, embeddings: changes };
        })
        .immediate();
    } finally {
      this.#db.pragma(`secure_delete = ${secure}`);
    }
    if (!removed) return null;
    // The log still holds earlier versions of the pages; a truncating checkpoint copies the overwritten pages
    // into the file and empties it, unless another connection is reading an older snapshot.
    const [checkpoint] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: bigint }[];
    return { ...removed, erased: checkpoint?.busy === 0n };
  }

  async appearances(id: string, { limit = 20, asOf }: { limit?: number; asOf?: RosNanos } = {}): Promise<Appearance[]> {
    const rows = this.#db
      .prepare(
        `SELECT m.id, m.start_ns, m.end_ns FROM memory_people p JOIN memories m ON m.seq = p.seq
        WHERE p.person_id = @id AND (@asOf IS NULL OR m.created_ns <= @asOf) ORDER BY m.start_ns DESC LIMIT @limit`,
      )
      .all({ id, asOf: asOf ?? null, limit }) as Row[];
    return rows.map((r) => ({ memoryId: r.id as string, start: r.start_ns as bigint, end: r.end_ns as bigint }));
  }

  #get(id: string): Identity | null {
    const num = personNumber(id);
    if (num === null) return null;
    const row = this.#db.prepare(`SELECT ${IDENTITY_COLUMNS} FROM identities WHERE num = ?`).get(num) as Row | undefined;
    return row ? identityFromRow(row) : null;
  }
}
