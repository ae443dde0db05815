/**
 * How a backend makes rows it deletes unreadable in its files, not only unlinked: face embeddings are biometric
 * data, and forgetting a person must leave none of them on disk (see IdentityRecords#forgetIdentity).
 */
export interface Erasure {
  /**
   * Runs `write`, a write transaction that may delete or replace rows, so that the bytes it frees are overwritten
   * or left for `purge` to remove.
   */
  overwriting<T>(write: () => Promise<T>): Promise<T>;
  /**
   * Once a deletion has committed: removes what the files still hold of the rows deleted from `tables` (a log,
   * dead row versions). False when something outside this store kept it from doing so.
   */
  purge(tables: readonly string[]): Promise<boolean>;
}
