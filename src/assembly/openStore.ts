import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import { openMemoryStore } from '../memory/openMemoryStore.js';
import { expandHome } from '../memory/SqliteMemoryStore.js';
import { redactCredentials } from '../text/redactCredentials.js';
import { namingStoreFailures, StoreError } from './StoreError.js';
import { storeFix } from './storeFix.js';

/** The store of `store.*` in words, for logs and errors: the SQLite file, or the PostgreSQL URL without its password. */
export function describeStore(config: Config['store']): string {
  if (config.backend === 'sqlite') return `sqlite ${config.path}`;
  return config.url ? `postgres ${redactCredentials(config.url)}` : 'postgres';
}

/**
 * Opens (and migrates) the store of `store.*`; every failure, of the opening or of any later call, is a
 * StoreError naming the store and, where the driver's error tells, what to do (storeFix). A folder as store.path is
 * a ConfigError. `mustExist`: a SQLite file that is not there is an error instead of a new store,
 * for a command that only reads what was memorized.
 */
export async function openStore(
  config: Config['store'],
  { logger, mustExist = false }: { logger: Logger; mustExist?: boolean },
): Promise<MemoryStore> {
  const where = describeStore(config);
  if (mustExist && config.backend === 'sqlite' && !existsSync(expandHome(config.path)))
    throw new StoreError(
      `no memory store at ${expandHome(config.path)} (store.path); memorize something first, e.g. taskmem ingest <recording.mcap> or taskmem demo`,
    );
  if (config.backend === 'sqlite' && statSync(expandHome(config.path), { throwIfNoEntry: false })?.isDirectory())
    throw new ConfigError(
      `taskmem: parameter store.path = ${JSON.stringify(config.path)} is a folder; give a file in it, e.g. ${join(config.path, 'memory.sqlite')}`,
    );
  const fix = (error: unknown) => storeFix(error, config);
  let store: MemoryStore;
  try {
    store = await openMemoryStore(config, logger);
  } catch (error) {
    const what = fix(error);
    throw new StoreError(
      `cannot open the store (${where}): ${error instanceof Error ? error.message : String(error)}${what === null ? '' : `; ${what}`}`,
      { cause: error },
    );
  }
  return namingStoreFailures(store, where, fix);
}
