import { silentLogger, type Logger } from '../log.js';
import { cosineSimilarity } from '../memory/embedding.js';
import type { Identity, IdentityRecords } from '../memory/IdentityRecords.js';
import type { RosNanos } from '../time.js';

export interface IdentityRegistryOptions {
  store: IdentityRecords;
  /** people.match_similarity: cosine similarity to a centroid from which a face is that person. */
  matchSimilarity: number;
  /** people.new_below: below this similarity to everyone known, a face is a new person. */
  newBelow: number;
  /** people.max_embeddings: embeddings kept per person for the centroid. */
  maxEmbeddings: number;
  logger?: Logger;
}

/** The described faces of one keyframe. */
export interface FacesInFrame {
  stamp: RosNanos;
  /** Unit-length descriptors. */
  descriptors: Float32Array[];
}

/** A person a face was recognised as: the id, and the name a user gave them. */
export type Recognised = Pick<Identity, 'id' | 'name'>;

type Known = Pick<Identity, 'id' | 'name' | 'centroid'>;

interface Best {
  id: string;
  similarity: number;
  stamp: RosNanos;
  descriptor: Float32Array;
}

/**
 * Online clustering of faces into people with global ids, kept in the store so that the same face tomorrow gets
 * the same id. Per keyframe, faces and known people are paired most similar first, each person at most once (no
 * one is in an image twice): a pair at or above `matchSimilarity` is a recognition; a face below `newBelow` to
 * everyone starts a new person; any other face stays unrecognised, so that a look-alike or a poor view is not
 * guessed, nor does it pull anyone's centroid. Each person recognised in a segment gets one embedding for it
 * (their best-matching face), and their centroid moves to the mean of their newest `maxEmbeddings`.
 */
export class IdentityRegistry {
  readonly #store: IdentityRecords;
  readonly #match: number;
  readonly #newBelow: number;
  readonly #keep: number;
  readonly #logger: Logger;

  constructor({ store, matchSimilarity, newBelow, maxEmbeddings, logger = silentLogger }: IdentityRegistryOptions) {
    if (!(newBelow <= matchSimilarity))
      throw new Error(`IdentityRegistry: people.new_below (${newBelow}) must not exceed people.match_similarity (${matchSimilarity})`);
    this.#store = store;
    this.#match = matchSimilarity;
    this.#newBelow = newBelow;
    this.#keep = maxEmbeddings;
    this.#logger = logger;
  }

  /**
   * The person of each face of each keyframe of the segment whose memory will be `memoryId` (null: not
   * recognised), creating and updating people in the store. People are read from the store on every call, so
   * another process sharing it (and a forget) is seen at the next segment.
   */
  async identify(frames: FacesInFrame[], memoryId: string): Promise<(Recognised | null)[][]> {
    const known: Known[] = await this.#store.identities();
    const best = new Map<string, Best>();
    const created = new Set<string>();
    const ids: (Recognised | null)[][] = [];
    for (const frame of frames) {
      const assigned: (Recognised | null)[] = frame.descriptors.map(() => null);
      const pairs = frame.descriptors.flatMap((descriptor, face) =>
        known.map((person) => ({ face, person, similarity: cosineSimilarity(descriptor, person.centroid) })),
      );
      pairs.sort((a, b) => b.similarity - a.similarity);
      const taken = new Set<string>();
      for (const { face, person, similarity } of pairs) {
        if (similarity < this.#match) break;
        if (assigned[face] !== null || taken.has(person.id)) continue;
        assigned[face] = { id: person.id, name: person.name };
        taken.add(person.id);
        const previous = best.get(person.id);
        if (!previous || similarity > previous.similarity)
          best.set(person.id, { id: person.id, similarity, stamp: frame.stamp, descriptor: frame.descriptors[face]! });
      }
      for (const [face, descriptor] of frame.descriptors.entries()) {
        if (assigned[face] !== null) continue;
        const nearest = Math.max(-1, ...known.map((person) => cosineSimilarity(descriptor, person.centroid)));
        if (nearest >= this.#newBelow) continue;
        const person = await this.#store.createIdentity({ memoryId, stamp: frame.stamp, embedding: descriptor });
        this.#logger.info(`people: a new person, ${person.id} (nearest known face: similarity ${nearest.toFixed(2)})`);
        known.push(person);
        created.add(person.id);
        taken.add(person.id);
        assigned[face] = { id: person.id, name: person.name };
      }
      ids.push(assigned);
    }
    for (const seen of best.values()) {
      if (created.has(seen.id)) continue;
      await this.#store.observeIdentity(seen.id, { memoryId, stamp: seen.stamp, embedding: seen.descriptor }, this.#keep);
    }
    return ids;
  }
}
