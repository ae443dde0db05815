import type { RosNanos } from '../time.js';
import type { FailedSegment, Memory } from './Memory.js';
import type { IdentityStore } from './IdentityStore.js';

/** What to retrieve. Every filter is optional; all given filters must hold. */
export interface RecallQuery {
  /** Full-text query (FTS5 syntax is not required: plain words are matched). */
  text?: string;
  /** Query embedding for vector similarity, when an embedding source is configured. */
  vector?: Float32Array;
  /** Only memories whose span overlaps [since, until). */
  since?: RosNanos;
  until?: RosNanos;
  /** Only memories that existed at this ROS time: a question never sees memories written after it arrived. */
  asOf?: RosNanos;
  robotId?: string;
  episode?: number;
  taskGroup?: string;
  /** Only memories in which this person (an id such as person_3) was recognised. */
  person?: string;
  /** Only memories whose pose lies within `radius` metres of (x, y). */
  near?: { x: number; y: number; radius: number };
  limit?: number;
}

export interface ScoredMemory {
  memory: Memory;
  /** Fused relevance, higher is better; 0 when no text or vector was given (pure filter, newest first). */
  score: number;
  /** Which retrievers found it. */
  matchedBy: ('text' | 'vector' | 'filter')[];
}

export interface ForgetQuery {
  ids?: string[];
  since?: RosNanos;
  until?: RosNanos;
  text?: string;
}

/** A question or task goal the robot received, logged for task focus. */
export interface Task {
  id: string;
  robotId: string;
  stamp: RosNanos;
  text: string;
  group: string;
  /** 'ask' for questions, 'directive' for explicit focus directives. */
  kind: 'ask' | 'directive';
}

/** What was answered to a task (a question), kept so that a report shows each question with its evidence. */
export interface TaskAnswer {
  /** The answer; empty when abstained or when no model answered and the evidence was the answer. */
  text: string;
  abstained: boolean;
  /** 0..1; 0 when no model answered. */
  confidence: number;
  /** Ids of the memories the answer rests on, most relevant first. */
  evidence: string[];
  /** Served model name; empty when no model answered. */
  answeredBy: string;
}

export interface AnsweredTask extends Task {
  /** null when no answer was recorded (not answered, or answering failed). */
  answer: TaskAnswer | null;
}

/** Which tasks to list; every filter is optional. */
export interface TaskQuery {
  robotId?: string;
  /** Only tasks logged at or after `since` and before `until`. */
  since?: RosNanos;
  until?: RosNanos;
}

/** A preference between two candidate memories of one segment, by the paper's recipe. */
export interface PreferencePair {
  id: string;
  segmentId: string;
  group: string;
  /** The memorizer prompt input (messages without images, images by reference). */
  prompt: string;
  chosen: string;
  rejected: string;
  examples: string[];
  chosenEmbedding: Float32Array | null;
  rejectedEmbedding: Float32Array | null;
  createdAt: RosNanos;
}

export interface FocusVectorRecord {
  group: string;
  version: number;
  vector: Float32Array;
  pairs: number;
  trainedAt: RosNanos;
}

/**
 * Durable memory. Implementations: SQLite (embedded) and PostgreSQL. Invariants a caller can rely on:
 * `put` is one transaction and idempotent on `memory.id`; a memory is readable once `put` resolves; nothing
 * is ever updated in place except by `put` of the same id (a re-memorized segment) and `forget`.
 * Callers must `close()` before the process exits to checkpoint the write-ahead log.
 */
export interface MemoryStore {
  /** Stores a memory; returns false when a memory with this id and identical text was already stored. */
  put(memory: Memory, embedding?: Float32Array | null): Promise<boolean>;
  get(id: string): Promise<Memory | null>;
  recall(query: RecallQuery): Promise<ScoredMemory[]>;
  /** Memories of one robot and episode that end at or before `before`, newest last (the prompt window). */
  window(robotId: string, episode: number, before: RosNanos, limit: number): Promise<Memory[]>;
  forget(query: ForgetQuery): Promise<Memory[]>;
  count(): Promise<number>;

  recordFailure(failure: FailedSegment): Promise<void>;
  failures(robotId?: string): Promise<FailedSegment[]>;
  clearFailure(id: string): Promise<void>;

  /** Highest episode number stored for a robot, or -1. */
  lastEpisode(robotId: string): Promise<number>;
  /** Resume point of an ingest keyed by source (e.g. an MCAP file path and size): last segment end done. */
  getProgress(key: string): Promise<RosNanos | null>;
  setProgress(key: string, done: RosNanos): Promise<void>;

  logTask(task: Task): Promise<void>;
  /** The robot's latest `limit` tasks (of one group when given), newest first. */
  recentTasks(robotId: string, limit: number, group?: string): Promise<Task[]>;
  /** Records the answer to a logged task, replacing an earlier one; a task id that was never logged is an error. */
  recordAnswer(taskId: string, answer: TaskAnswer): Promise<void>;
  /** Logged tasks, oldest first, each with its recorded answer or null. */
  answeredTasks(query?: TaskQuery): Promise<AnsweredTask[]>;
  putPreference(pair: PreferencePair): Promise<void>;
  preferences(group?: string): Promise<PreferencePair[]>;
  putFocusVector(record: Omit<FocusVectorRecord, 'version'>): Promise<FocusVectorRecord>;
  focusVector(group: string): Promise<FocusVectorRecord | null>;
  resetFocusVector(group: string): Promise<void>;

  /** The people told apart by face, kept in the same database. */
  readonly identities: IdentityStore;

  close(): Promise<void>;
}
