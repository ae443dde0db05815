import type { Config } from '../config/schema.js';
import { silentLogger, type Logger } from '../log.js';
import type { MemoryStore } from './MemoryStore.js';
import { PostgresMemoryStore } from './PostgresMemoryStore.js';
import { SqliteMemoryStore } from './SqliteMemoryStore.js';

/** The store the configuration describes: the embedded SQLite file, or a PostgreSQL server (store.backend). */
export async function openMemoryStore(config: Config['store'], logger: Logger = silentLogger): Promise<MemoryStore> {
  if (config.backend === 'postgres') {
    if (!config.url) throw new Error('parameter store.url is empty: backend postgres needs a connection string, e.g. postgresql://taskmem@db-host/taskmem');
    return PostgresMemoryStore.open({ url: config.url, thumbnails: config.thumbnails, logger });
  }
  return new SqliteMemoryStore({ path: config.path, thumbnails: config.thumbnails, logger });
}
