import type { Config } from '../config/schema.js';
import { silentLogger, type Logger } from '../log.js';
import type { MemoryStore } from './MemoryStore.js';
import { SqliteMemoryStore } from './SqliteMemoryStore.js';
import { PostgresMemoryStore } from './PostgresMemoryStore.js';

/** Opens the store the `store.*` parameters describe (migrating its schema); logs which one at info level. */
export async function openMemoryStore(config: Config['store'], logger: Logger = silentLogger): Promise<MemoryStore> {
  if (config.backend === 'postgres') {
    if (config.url === '')
      throw new Error('openMemoryStore: store.backend is postgres but store.url is empty; set store.url:=postgresql://user@host/db');
    return PostgresMemoryStore.open({
      url: config.url,
      thumbnails: config.thumbnails,
      connectTimeoutS: config.connect_timeout_s,
      queryTimeoutS: config.query_timeout_s,
      logger,
    });
  }
  return new SqliteMemoryStore({ path: config.path, thumbnails: config.thumbnails, synchronous: config.synchronous, logger });
}
