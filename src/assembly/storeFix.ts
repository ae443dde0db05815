import type { Config } from '../config/schema.js';
import { expandHome } from '../memory/SqliteMemoryStore.js';

/** The driver's code of `error` or of an error that caused it (SQLite `SQLITE_*`, PostgreSQL SQLSTATE, Node errno). */
function codeOf(error: unknown): string | null {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return null;
}

/** What committed memories become when the store stops part-way: every run is resumable. */
const KEPT = 'run the same command again: what was committed is kept';

/**
 * What the user can do about a failure of the store `config` names, from the driver's error: a full disk, a
 * damaged file, a file that is not a store, a folder given as store.path, a read-only file. Null when the error
 * says nothing a user can act on (its message is then all there is).
 */
export function storeFix(error: unknown, config: Config['store']): string | null {
  const code = codeOf(error);
  if (code === null) return null;
  const file = expandHome(config.path);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === '53100') return `the disk holding the store is full; free space and ${KEPT}`;
  if (code.startsWith('SQLITE_IOERR'))
    return `the store's disk could not write or read it (full, a file-size limit such as ulimit -f, or failing); check the disk and ${KEPT}`;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB')
    return (
      `${file} is damaged or is not a taskmem store; restore it from a backup, or save what can be read with ` +
      `\`sqlite3 ${file} .recover | sqlite3 recovered.sqlite\` and set store.path to the copy`
    );
  if (code === 'XX001' || code === 'XX002')
    return 'the server reports damaged data; restore the database from a backup (see the server log for the table)';
  if (code === 'SQLITE_CANTOPEN') return `check that store.path names a file (not a folder) in a folder you can write`;
  if (code.startsWith('SQLITE_READONLY')) return `${file} or its folder is read-only; make it writable or set store.path to another file`;
  return null;
}
