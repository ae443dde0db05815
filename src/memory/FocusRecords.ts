import type { RosNanos } from '../time.js';

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

/** What task focus learns from: preference pairs per task group, and the focus vectors trained on them. */
export interface FocusRecords {
  /** Stores a pair; a pair id stored before is kept as it was. */
  putPreference(pair: PreferencePair): Promise<void>;
  /** Pairs (of one group when given), oldest first. */
  preferences(group?: string): Promise<PreferencePair[]>;
  /** Stores a newly trained vector as the group's next version (versions are never reused, even after a reset). */
  putFocusVector(record: Omit<FocusVectorRecord, 'version'>): Promise<FocusVectorRecord>;
  /** The group's latest version that was not reset, or null. */
  focusVector(group: string): Promise<FocusVectorRecord | null>;
  /** Retires every version of the group: depth 3 goes back to the judge until a vector is trained again. */
  resetFocusVector(group: string): Promise<void>;
}
