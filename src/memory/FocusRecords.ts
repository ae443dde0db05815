import type { RosNanos } from '../time.js';

/** One part of a stored memorizer request: text, or an image kept once by its SHA-256 (`preferenceImage`). */
export type StoredPart = { type: 'text'; text: string } | { type: 'image'; sha256: string };

/** The memorizer request a preference pair was sampled from, as sent. */
export interface StoredRequest {
  messages: { role: 'system' | 'user' | 'assistant'; content: StoredPart[] }[];
}

/** A preference between two candidate memories of one segment, by the paper's recipe. */
export interface PreferencePair {
  id: string;
  segmentId: string;
  group: string;
  /** The memorizer prompt input (messages without images, images by reference). */
  prompt: string;
  /** The request as sent, for training; null for pairs stored before requests were kept. */
  request: StoredRequest | null;
  /** The chosen and rejected descriptions. */
  chosen: string;
  rejected: string;
  /** The whole completions, thinking included; null for pairs stored before completions were kept. */
  chosenCompletion: string | null;
  rejectedCompletion: string | null;
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

/** What task focus learns from: preference pairs per task group, and the focus vectors trained on them. */
export interface FocusRecords {
  /** Stores a pair (once per id: a pair id stored before is kept as it was) with the JPEG images its request names, by SHA-256. */
  putPreference(pair: PreferencePair, images?: ReadonlyMap<string, Uint8Array>): Promise<void>;
  /** Pairs (of one group when given), oldest first. */
  preferences(group?: string): Promise<PreferencePair[]>;
  /** An image of a stored request; null when none has that hash. */
  preferenceImage(sha256: string): Promise<Uint8Array | null>;
  /** Stores a newly trained vector as the group's next version (versions are never reused, even after a reset). */
  putFocusVector(record: Omit<FocusVectorRecord, 'version'>): Promise<FocusVectorRecord>;
  /** The group's latest version that was not reset, or null. */
  focusVector(group: string): Promise<FocusVectorRecord | null>;
  /** Retires every version of the group: depth 3 goes back to the judge until a vector is trained again. */
  resetFocusVector(group: string): Promise<void>;
}
