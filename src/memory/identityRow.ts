import { embeddingFromBytes } from './embedding.js';
import { personId, type Identity } from './IdentityStore.js';

/** The SELECT list over `identities` that `identityFromRow` reads: the row and its count of kept embeddings. */
export const IDENTITY_COLUMNS = `num, name, centroid, first_ns, last_ns, sightings,
  (SELECT count(*) FROM identity_embeddings e WHERE e.num = identities.num) AS embeddings`;

/** A row of the identities table, as both SQL stores read it; integers may come as bigint or number. */
export function identityFromRow(row: Record<string, unknown>): Identity {
  return {
    id: personId(BigInt(row.num as bigint | number)),
    name: row.name as string | null,
    centroid: embeddingFromBytes(row.centroid as Buffer),
    firstSeen: BigInt(row.first_ns as bigint | number),
    lastSeen: BigInt(row.last_ns as bigint | number),
    sightings: Number(row.sightings),
    embeddings: Number(row.embeddings),
  };
}
