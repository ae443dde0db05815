import type { EmbeddingLease } from '../EmbeddingLeases.js';
import type { SqlConnection } from './SqlConnection.js';

/** Width of the expiry, in decimal digits, at the head of a lease's value: milliseconds until the year 33658. */
const EXPIRY_DIGITS = 15;

/**
 * The embedding leases of EmbeddingLeases, one row of `store_meta` per model (`embedding_lease:<model>`), its value
 * the expiry in milliseconds, zero-padded, a space and the owner. Taking one is a single upsert whose update
 * applies only when the lease has expired or is the taker's own, so two processes never both hold it; no
 * schema change was needed for it.
 */
export class SqlEmbeddingLease {
  readonly #sql: SqlConnection;

  constructor(sql: SqlConnection) {
    this.#sql = sql;
  }

  async take(model: string, { owner, now, ttlMs }: EmbeddingLease): Promise<boolean> {
    const where = `${this.#sql.owner}#leaseEmbedding`;
    if (owner === '' || /\s/.test(owner)) throw new Error(`${where}: the owner must be one word, got ${JSON.stringify(owner)}`);
    if (!Number.isSafeInteger(now) || !Number.isSafeInteger(ttlMs) || ttlMs <= 0)
      throw new Error(`${where}: now and ttlMs must be whole milliseconds, ttlMs positive (got ${now}, ${ttlMs})`);
    const held = await this.#sql.get<{ key: string }>(
      `INSERT INTO store_meta (key, value) VALUES (@key, @value)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value
       WHERE CAST(substr(store_meta.value, 1, ${EXPIRY_DIGITS}) AS BIGINT) <= @now
          OR substr(store_meta.value, ${EXPIRY_DIGITS + 2}) = @owner
       RETURNING key`,
      { key: leaseKey(model), value: `${String(now + ttlMs).padStart(EXPIRY_DIGITS, '0')} ${owner}`, now, owner },
    );
    return held !== undefined;
  }

  async release(model: string, owner: string): Promise<void> {
    await this.#sql.run(`DELETE FROM store_meta WHERE key = @key AND substr(value, ${EXPIRY_DIGITS + 2}) = @owner`, {
      key: leaseKey(model),
      owner,
    });
  }
}

function leaseKey(model: string): string {
  return `embedding_lease:${model}`;
}
