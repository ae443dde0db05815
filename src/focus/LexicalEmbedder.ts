import { normalize, type EmbeddingSource } from '../embed/EmbeddingSource.js';

const STOP_WORDS = new Set(
  'a an the and or but of in on at to from by with for is are was were be been being it its this that these those there here as into onto over under then than while who whom which what when where why how he she they them his her their robot robots camera segment'.split(
    ' ',
  ),
);

/**
 * Candidate embeddings for the focus vector when no embedding model is configured: signed feature hashing of
 * word unigrams and bigrams, L2-normalised. Cheap and deterministic, and enough for the focus vector to learn
 * which kinds of content a task group rewards (colours, counts, words said, …).
 */
export class LexicalEmbedder implements EmbeddingSource {
  readonly dimensions: number;
  readonly name: string;

  constructor(dimensions = 512) {
    this.dimensions = dimensions;
    this.name = `lexical-hash-${dimensions}`;
  }

  async close(): Promise<void> {}

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
    const add = (feature: string, weight: number) => {
      const h = fnv1a(feature);
      vector[h % this.dimensions]! += h & 0x80000000 ? -weight : weight;
    };
    for (let i = 0; i < words.length; i++) {
      add(words[i]!, 1);
      if (i + 1 < words.length) add(`${words[i]} ${words[i + 1]}`, 0.5);
    }
    return normalize(vector);
  }
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
