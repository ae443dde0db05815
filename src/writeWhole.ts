import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes the file `path` whole or not at all: `write` fills a temporary file beside it (same folder, so same
 * disk), which is renamed over `path` once complete. A failure part-way (a full disk) leaves no partial file, and
 * an earlier file at `path` (the last report) as it was. Returns what `write` returns.
 */
export async function writeWhole<T>(path: string, write: (temporary: string) => Promise<T>): Promise<T> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    const result = await write(temporary);
    await rename(temporary, path);
    return result;
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
