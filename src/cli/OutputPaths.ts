import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/schema.js';
import { expandHome } from '../memory/SqliteMemoryStore.js';

/**
 * Writing the output a command was asked to write would destroy its store or one of its inputs (the output is
 * that file, through a symbolic or hard link, or a folder that holds it). Bad input: exit code 2.
 */
export class UnsafeOutputError extends Error {
  override name = 'UnsafeOutputError';
}

/** A file a command reads or keeps, which nothing it writes may replace. */
export interface ProtectedFile {
  path: string;
  /** What it is, for the message: `the memory store (store.path)`, `the recording being ingested`. */
  what: string;
}

/** A protected file as the file system knows it. */
interface Resolved extends ProtectedFile {
  /** The path writing would reach, with every symbolic link followed. */
  target: string;
  /** Device and inode when it exists: a hard link is another name for the same file. */
  stats: Stats | null;
}

const MAX_LINKS = 40;

/**
 * The one place that decides whether a command may write a path: never the memory store (nor its write-ahead log,
 * shared-memory or journal file), the params file, or any input the command reads, after following symbolic links
 * and recognising hard links (same device and inode). Each command makes one from its configuration
 * (`OutputPaths.of`, which protects the store and the params file), adds its inputs with `protect`, and asks
 * `file` or `folder` for each path it is about to write.
 */
export class OutputPaths {
  readonly #protected: Resolved[] = [];

  private constructor(files: ProtectedFile[]) {
    this.protect(...files);
  }

  /** Guards the store of `config` (a SQLite file and its companions) and the params file, when one was given. */
  static of(config: Pick<Config, 'store'>, paramsFile?: string): OutputPaths {
    const files: ProtectedFile[] = [];
    if (config.store.backend === 'sqlite') {
      const store = expandHome(config.store.path);
      // SQLite names its companions after the file it opened, which is the link's target when the path is a link.
      for (const base of new Set([resolve(store), writeTarget(store)])) {
        const [file, wal, shm, journal] = sqliteFiles(base);
        files.push(
          { path: file!, what: 'the memory store (store.path)' },
          { path: wal!, what: 'the write-ahead log of the memory store (store.path)' },
          { path: shm!, what: 'the shared-memory file of the memory store (store.path)' },
          { path: journal!, what: 'the journal of the memory store (store.path)' },
        );
      }
    }
    if (paramsFile !== undefined) files.push({ path: paramsFile, what: 'the params file (--params-file)' });
    return new OutputPaths(files);
  }

  /** Adds inputs of the command (a recording, a question file) that it must not write over. */
  protect(...files: ProtectedFile[]): this {
    for (const file of files) {
      const target = writeTarget(file.path);
      this.#protected.push({ ...file, target, stats: statOrNull(target) });
    }
    return this;
  }

  /**
   * The absolute path to write the file `path` given as `flag`; throws UnsafeOutputError when it is a protected
   * file (by any name) or a folder. `example` is a file name the message suggests instead.
   */
  file(path: string, flag: string, example: string): string {
    const target = writeTarget(path);
    const stats = statOrNull(target);
    if (stats?.isDirectory()) throw new UnsafeOutputError(`${flag} ${path} is a folder; give a file name, e.g. ${join(path, example)}`);
    const hit = this.#hit(path);
    if (hit)
      throw new UnsafeOutputError(
        `${flag} ${path} is ${hit.what}${how(path, target, hit)}: writing it would destroy it; choose another file, e.g. ${example}`,
      );
    return resolve(expandHome(path));
  }

  /**
   * The absolute path of the folder `path` given as `flag`, into which the command writes the files `writes` (their
   * names) or, with `replaces`, which it empties and fills again: throws UnsafeOutputError when it is a file, when one
   * of `writes` would be a protected file, or, with `replaces`, when it holds a protected file or anything but
   * `replaces.own` (the files an earlier run of the command wrote there).
   */
  folder(path: string, flag: string, { writes = [], replaces }: { writes?: string[]; replaces?: { own: RegExp } } = {}): string {
    const target = writeTarget(path);
    const stats = statOrNull(target);
    if (stats && !stats.isDirectory()) throw new UnsafeOutputError(`${flag} ${path} is a file, not a folder; give a folder`);
    for (const name of writes) {
      const hit = this.#hit(join(path, name));
      if (hit)
        throw new UnsafeOutputError(
          `${flag} ${path}: its ${name} would be ${hit.what}: writing it would destroy it; choose another folder`,
        );
    }
    if (!replaces || !stats) return resolve(expandHome(path));
    const inside = this.#protected.find((p) => p.target === target || p.target.startsWith(target.endsWith(sep) ? target : target + sep));
    if (inside)
      throw new UnsafeOutputError(
        `${flag} ${path} holds ${inside.what} (${relative(target, inside.target) || '.'}), and the folder is emptied on every run: ` +
          'give a new or empty folder',
      );
    const foreign = readdirSync(target).filter((name) => !replaces.own.test(name));
    if (foreign.length > 0)
      throw new UnsafeOutputError(
        `${flag} ${path} holds files this command did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}), ` +
          'and the folder is emptied on every run: give a new or empty folder',
      );
    return resolve(expandHome(path));
  }

  /** The protected file that writing `path` would reach, or undefined. */
  #hit(path: string): Resolved | undefined {
    const target = writeTarget(path);
    const stats = statOrNull(target);
    return this.#protected.find((p) => p.target === target || sameFile(p.stats, stats));
  }
}

/** A SQLite database file and the companions SQLite keeps beside it: write-ahead log, shared memory, journal. */
export function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];
}

/**
 * The path that writing `path` reaches: its folder with every symbolic link resolved (as far as it exists), and the
 * file itself followed while it is a symbolic link, even one whose target does not exist yet (writing creates it).
 */
export function writeTarget(path: string): string {
  let current = resolve(expandHome(path));
  for (let links = 0; links <= MAX_LINKS; links++) {
    current = join(realFolder(dirname(current)), basename(current));
    let stats: Stats;
    try {
      stats = lstatSync(current);
    } catch {
      return current;
    }
    if (!stats.isSymbolicLink()) return current;
    current = resolve(dirname(current), readlinkSync(current));
  }
  throw new UnsafeOutputError(`${path}: more than ${MAX_LINKS} symbolic links in a row (a loop?)`);
}

/** `folder` with its symbolic links resolved as far as it exists; the rest as written. */
function realFolder(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    const parent = dirname(folder);
    return parent === folder ? folder : join(realFolder(parent), basename(folder));
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function sameFile(a: Stats | null, b: Stats | null): boolean {
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;
}

/** How the output reaches the protected file, when not by the same name. */
function how(path: string, target: string, hit: Resolved): string {
  if (hit.target !== target) return ' (a hard link to it)';
  return resolve(path) === target ? '' : ` (through a symbolic link to ${target})`;
}
