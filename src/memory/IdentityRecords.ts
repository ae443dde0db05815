import type { RosNanos } from '../time.js';

/**
 * A person told apart by face. The id (`person_<n>`) is global within a store and never given to anyone else, even
 * after the person is forgotten; ids are robot-local unless several robots share the store (PostgreSQL).
 */
export interface Identity {
  id: string;
  /** A name a user gave (`taskmem people name`); null until then. */
  name: string | null;
  /** Mean of the kept face embeddings, unit length: what a new face is compared with. */
  centroid: Float32Array;
  firstSeen: RosNanos;
  lastSeen: RosNanos;
  /** Segments the person's face was described in (a view that has not changed since is not described again). */
  sightings: number;
  /** Face embeddings kept for the centroid (the newest, at most people.max_embeddings). */
  embeddings: number;
}

/** One face of a person in one segment. */
export interface FaceObservation {
  /** The memory (segment) it was seen in: one embedding per identity and memory is kept. */
  memoryId: string;
  stamp: RosNanos;
  /** Unit-length face descriptor. */
  embedding: Float32Array;
}

/** A memory a person was recognised in. */
export interface Appearance {
  memoryId: string;
  start: RosNanos;
  end: RosNanos;
}

/** What forgetting a person removed. */
export interface ForgottenIdentity {
  identity: Identity;
  /** Face embeddings removed with it. */
  embeddings: number;
  /**
   * Whether the freed bytes are gone from the store's files too (SQLite: overwritten and the write-ahead log
   * truncated; PostgreSQL: the tables rewritten); false when another connection kept the log from being truncated.
   */
  erased: boolean;
}

/**
 * The people of a memory store: told apart by face embeddings, with the embeddings each centroid is the mean of
 * (tables `identities`, `identity_embeddings`). Each memory lists the ids seen in it (`Memory.people`, table
 * `memory_people`); `appearances` and recall's `person` filter find them by id. Face embeddings are biometric
 * data: `forgetIdentity` removes a person's and erases their bytes from the store's files.
 */
export interface IdentityRecords {
  /** Every identity, oldest first. */
  identities(): Promise<Identity[]>;
  identity(id: string): Promise<Identity | null>;
  /** A new identity from its first face; its id was never used before in this store. */
  createIdentity(face: FaceObservation): Promise<Identity>;
  /**
   * Adds a face to an identity, replacing the one from the same memory, keeps its newest `keep` embeddings and
   * recomputes the centroid from them; first and last seen widen to the face's stamp. Null when no such identity.
   */
  observeIdentity(id: string, face: FaceObservation, keep: number): Promise<Identity | null>;
  /** Names an identity (null clears the name); false when no such identity. */
  nameIdentity(id: string, name: string | null): Promise<boolean>;
  /** Removes an identity and its embeddings; null when there was none. The memories that name the id stay. */
  forgetIdentity(id: string): Promise<ForgottenIdentity | null>;
  /** Memories the person was recognised in, newest first, created at or before `asOf` when given. */
  appearances(id: string, options?: { limit?: number; asOf?: RosNanos }): Promise<Appearance[]>;
}

const PERSON_ID = /^person_([1-9]\d*)$/;

/** The id of identity number `num`: person_<num>. */
export function personId(num: number | bigint): string {
  return `person_${num}`;
}

/** The number in a person id; null when `id` is not one (person_3 → 3). */
export function personNumber(id: string): number | null {
  const match = PERSON_ID.exec(id);
  return match ? Number(match[1]) : null;
}

/** The mean direction of unit vectors: their sum scaled to unit length. */
export function centroidOf(vectors: readonly Float32Array[]): Float32Array {
  const first = vectors[0];
  if (!first) throw new Error('centroidOf: no vectors');
  const sum = new Float32Array(first.length);
  for (const v of vectors) {
    if (v.length !== sum.length) throw new Error(`centroidOf: vectors of ${sum.length} and ${v.length} dimensions`);
    for (let i = 0; i < v.length; i++) sum[i]! += v[i]!;
  }
  const norm = Math.hypot(...sum);
  if (norm > 0) for (let i = 0; i < sum.length; i++) sum[i]! /= norm;
  return sum;
}
