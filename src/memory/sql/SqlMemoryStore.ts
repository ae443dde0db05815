import type { RosNanos } from '../../time.js';
import type { EmbeddingLease } from '../EmbeddingLeases.js';
import type { FocusVectorRecord, PreferencePair } from '../FocusRecords.js';
import type { Appearance, FaceObservation, ForgottenIdentity, Identity } from '../IdentityRecords.js';
import type { FailedSegment, Memory } from '../Memory.js';
import type { EmbeddingEntry, ForgetQuery, MemoryEmbedding, RecallQuery, RecallResult, UnembeddedPage } from '../MemoryRecords.js';
import type { MemoryStore } from '../MemoryStore.js';
import type { AnsweredTask, Task, TaskAnswer, TaskQuery } from '../TaskRecords.js';
import type { SqlConnection } from './SqlConnection.js';
import { SqlEmbeddingLease } from './SqlEmbeddingLease.js';
import type { EpisodeClaim, EpisodeLease } from '../EpisodeClaims.js';
import { SqlEpisodeClaims } from './SqlEpisodeClaims.js';
import { SqlFocusRecords } from './SqlFocusRecords.js';
import { SqlIdentityRecords } from './SqlIdentityRecords.js';
import { SqlIngestRecords } from './SqlIngestRecords.js';
import { SqlMemoryRecords, type SqlMemoryRecordsOptions } from './SqlMemoryRecords.js';
import { SqlTaskRecords } from './SqlTaskRecords.js';

/**
 * The backend's parts: memory search, and its erasure (`erasure`), which a person's forget and a memory's forget
 * both run through. The records that quote memories are the store's own.
 */
export type SqlMemoryStoreOptions = Omit<SqlMemoryRecordsOptions, 'quoting'>;

/**
 * Every role of the store over one SQL connection: the role classes hold the logic, written once; a backend
 * (SqliteMemoryStore, PostgresMemoryStore) opens and migrates its database and supplies its connection and the
 * parts of memory search its dialect does its own way.
 */
export class SqlMemoryStore implements MemoryStore {
  readonly #sql: SqlConnection;
  readonly #memories: SqlMemoryRecords;
  readonly #ingest: SqlIngestRecords;
  readonly #tasks: SqlTaskRecords;
  readonly #focus: SqlFocusRecords;
  readonly #lease: SqlEmbeddingLease;
  readonly #episodes: SqlEpisodeClaims;
  readonly #people: SqlIdentityRecords;

  protected constructor(memories: SqlMemoryStoreOptions) {
    this.#sql = memories.sql;
    this.#ingest = new SqlIngestRecords(memories.sql);
    this.#tasks = new SqlTaskRecords(memories.sql);
    this.#focus = new SqlFocusRecords(memories.sql);
    this.#lease = new SqlEmbeddingLease(memories.sql);
    this.#episodes = new SqlEpisodeClaims(memories.sql);
    this.#people = new SqlIdentityRecords({ sql: memories.sql, erasure: memories.erasure });
    this.#memories = new SqlMemoryRecords({ ...memories, quoting: [this.#tasks, this.#focus, this.#people] });
  }

  put(memory: Memory, embedding?: MemoryEmbedding | null): Promise<boolean> {
    return this.#memories.put(memory, embedding);
  }

  /** See SqlMemoryRecords#putMany: a batch in one transaction, all or nothing. */
  putMany(entries: Iterable<{ memory: Memory; embedding?: MemoryEmbedding | null }>): Promise<number> {
    return this.#memories.putMany(entries);
  }

  get(id: string): Promise<Memory | null> {
    return this.#memories.get(id);
  }

  recall(query: RecallQuery): Promise<RecallResult> {
    return this.#memories.recall(query);
  }

  window(robotId: string, episode: number, before: RosNanos, limit: number): Promise<Memory[]> {
    return this.#memories.window(robotId, episode, before, limit);
  }

  forget(query: ForgetQuery): Promise<Memory[]> {
    return this.#memories.forget(query);
  }

  count(): Promise<number> {
    return this.#memories.count();
  }

  putEmbeddings(entries: Iterable<EmbeddingEntry>): Promise<number> {
    return this.#memories.putEmbeddings(entries);
  }

  unembedded(model: string, page?: { after?: string | null; limit?: number }): Promise<UnembeddedPage> {
    return this.#memories.unembedded(model, page);
  }

  countUnembedded(model: string): Promise<number> {
    return this.#memories.countUnembedded(model);
  }

  leaseEmbedding(model: string, lease: EmbeddingLease): Promise<boolean> {
    return this.#lease.take(model, lease);
  }

  releaseEmbedding(model: string, owner: string): Promise<void> {
    return this.#lease.release(model, owner);
  }

  recordFailure(failure: FailedSegment): Promise<void> {
    return this.#ingest.recordFailure(failure);
  }

  failures(robotId?: string): Promise<FailedSegment[]> {
    return this.#ingest.failures(robotId);
  }

  clearFailure(id: string): Promise<void> {
    return this.#ingest.clearFailure(id);
  }

  lastEpisode(robotId: string): Promise<number> {
    return this.#ingest.lastEpisode(robotId);
  }

  getProgress(key: string): Promise<RosNanos | null> {
    return this.#ingest.getProgress(key);
  }

  setProgress(key: string, done: RosNanos): Promise<void> {
    return this.#ingest.setProgress(key, done);
  }

  claimEpisode(claim: EpisodeClaim): Promise<number> {
    return this.#episodes.claimEpisode(claim);
  }

  renewEpisodes(lease: EpisodeLease): Promise<number> {
    return this.#episodes.renewEpisodes(lease);
  }

  releaseEpisodes(lease: Omit<EpisodeLease, 'now' | 'leaseMs'>): Promise<void> {
    return this.#episodes.releaseEpisodes(lease);
  }

  claimedEpisode(robotId: string, source: string, ordinal: number): Promise<number | null> {
    return this.#episodes.claimedEpisode(robotId, source, ordinal);
  }

  logTask(task: Task): Promise<void> {
    return this.#tasks.logTask(task);
  }

  recentTasks(robotId: string, limit: number, group?: string): Promise<Task[]> {
    return this.#tasks.recentTasks(robotId, limit, group);
  }

  recordAnswer(taskId: string, answer: TaskAnswer): Promise<void> {
    return this.#tasks.recordAnswer(taskId, answer);
  }

  answeredTasks(query?: TaskQuery): Promise<AnsweredTask[]> {
    return this.#tasks.answeredTasks(query);
  }

  putPreference(pair: PreferencePair, images?: ReadonlyMap<string, Uint8Array>): Promise<void> {
    return this.#focus.putPreference(pair, images);
  }

  preferences(group?: string): Promise<PreferencePair[]> {
    return this.#focus.preferences(group);
  }

  preferenceImage(sha256: string): Promise<Uint8Array | null> {
    return this.#focus.preferenceImage(sha256);
  }

  putFocusVector(record: Omit<FocusVectorRecord, 'version'>): Promise<FocusVectorRecord> {
    return this.#focus.putFocusVector(record);
  }

  focusVector(group: string): Promise<FocusVectorRecord | null> {
    return this.#focus.focusVector(group);
  }

  resetFocusVector(group: string): Promise<void> {
    return this.#focus.resetFocusVector(group);
  }

  identities(): Promise<Identity[]> {
    return this.#people.identities();
  }

  identity(id: string): Promise<Identity | null> {
    return this.#people.identity(id);
  }

  createIdentity(face: FaceObservation): Promise<Identity> {
    return this.#people.createIdentity(face);
  }

  observeIdentity(id: string, face: FaceObservation, keep: number): Promise<Identity | null> {
    return this.#people.observeIdentity(id, face, keep);
  }

  nameIdentity(id: string, name: string | null): Promise<boolean> {
    return this.#people.nameIdentity(id, name);
  }

  forgetIdentity(id: string): Promise<ForgottenIdentity | null> {
    return this.#people.forgetIdentity(id);
  }

  appearances(id: string, options?: { limit?: number; asOf?: RosNanos }): Promise<Appearance[]> {
    return this.#people.appearances(id, options);
  }

  verify(): Promise<void> {
    return this.#sql.verify();
  }

  close(): Promise<void> {
    return this.#sql.close();
  }
}
