import type { EmbeddingLeases } from './EmbeddingLeases.js';
import type { EpisodeClaims } from './EpisodeClaims.js';
import type { FocusRecords } from './FocusRecords.js';
import type { IdentityRecords } from './IdentityRecords.js';
import type { IngestRecords } from './IngestRecords.js';
import type { MemoryRecords } from './MemoryRecords.js';
import type { TaskRecords } from './TaskRecords.js';

// The store's whole API in one import; each role is defined in its own module, and a caller that needs one role
// depends on that role's interface only.
export type * from './EmbeddingLeases.js';
export type * from './EpisodeClaims.js';
export type * from './FocusRecords.js';
export type * from './IdentityRecords.js';
export type * from './IngestRecords.js';
export type * from './MemoryRecords.js';
export type * from './TaskRecords.js';

/**
 * Durable memory, as `openMemoryStore` returns it: every role over one database. Implementations: SQLite
 * (embedded) and PostgreSQL, with the same behaviour. Callers must `close()` before the process exits to
 * checkpoint the write-ahead log.
 */
export interface MemoryStore
  extends MemoryRecords, IngestRecords, EpisodeClaims, TaskRecords, FocusRecords, IdentityRecords, EmbeddingLeases {
  /**
   * Rejects when the store can no longer be written safely: the SQLite file is not the file opened (deleted,
   * moved or replaced), or the PostgreSQL server does not answer within its timeout. A store found gone stays
   * gone: every later write rejects too.
   */
  verify(): Promise<void>;
  close(): Promise<void>;
}
