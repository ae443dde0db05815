import type OpenAI from 'openai';
import { z } from 'zod';
import type { EmbeddingSource } from '../embed/EmbeddingSource.js';
import { cosineSimilarity } from '../memory/embedding.js';

/** What grouping and the focus vector need of an embedding source. */
export type TextEmbedder = Pick<EmbeddingSource, 'embed'>;

/** Assigns a task group to a task that arrived without one. */
export interface TaskGrouper {
  group(text: string): Promise<string>;
}

/** focus.grouping = given: tasks without a group all fall in "general". */
export class FixedGrouper implements TaskGrouper {
  async group(): Promise<string> {
    return 'general';
  }
}

export interface EmbeddingGrouperOptions {
  embedder: TextEmbedder;
  /** Cosine similarity to a group's centroid at or above which a task joins that group. */
  threshold?: number;
}

interface TaskCluster {
  name: string;
  sum: Float32Array;
  count: number;
}

/**
 * focus.grouping = embedding: a task joins the group whose centroid it is most similar to, or founds a new group
 * ("group-1", "group-2", …). Centroids are running means, kept in memory: after a restart, groups already in the
 * task log keep their names because grouped tasks are stored with their group.
 */
export class EmbeddingGrouper implements TaskGrouper {
  readonly #embedder: TextEmbedder;
  readonly #threshold: number;
  readonly #groups: TaskCluster[] = [];

  constructor({ embedder, threshold = 0.75 }: EmbeddingGrouperOptions) {
    this.#embedder = embedder;
    this.#threshold = threshold;
  }

  async group(text: string): Promise<string> {
    const [vector] = await this.#embedder.embed([text]);
    if (!vector) throw new Error('EmbeddingGrouper#group failed: the embedder returned no vector');
    let best: TaskCluster | null = null;
    let bestSimilarity = -Infinity;
    for (const group of this.#groups) {
      const similarity = cosineSimilarity(vector, group.sum);
      if (similarity > bestSimilarity) {
        best = group;
        bestSimilarity = similarity;
      }
    }
    if (best && bestSimilarity >= this.#threshold) {
      for (let i = 0; i < vector.length; i++) best.sum[i]! += vector[i]!;
      best.count++;
      return best.name;
    }
    const created = { name: `group-${this.#groups.length + 1}`, sum: Float32Array.from(vector), count: 1 };
    this.#groups.push(created);
    return created.name;
  }
}

export interface ClassifierGrouperOptions {
  client: OpenAI;
  model: string;
  /** Groups the classifier should prefer; new ones it proposes are added. */
  known?: string[];
}

const classification = z.object({ group: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/) });

/**
 * focus.grouping = classifier: an LLM names the kind of question (counting, object recognition, action
 * reasoning, temporal perception, …), reusing a known group when one fits. A reply that does not parse falls
 * back to "general" rather than failing the task.
 */
export class ClassifierGrouper implements TaskGrouper {
  readonly #client: OpenAI;
  readonly #model: string;
  readonly #known: Set<string>;

  constructor({
    client,
    model,
    known = ['counting', 'object_recognition', 'action_reasoning', 'temporal_perception', 'speech', 'location'],
  }: ClassifierGrouperOptions) {
    this.#client = client;
    this.#model = model;
    this.#known = new Set(known);
  }

  async group(text: string): Promise<string> {
    const reply = await this.#client.chat.completions.create({
      model: this.#model,
      temperature: 0,
      max_tokens: 64,
      messages: [
        {
          role: 'system',
          content:
            'You sort questions a robot receives into task groups of similar questions. Reply with JSON {"group": "<name>"} only. ' +
            `Use one of the known groups when it fits: ${[...this.#known].join(', ')}. Otherwise propose a short snake_case name for the kind of question.`,
        },
        { role: 'user', content: JSON.stringify({ question: text }) },
      ],
    });
    const content = reply.choices[0]?.message.content ?? '';
    const json = /\{[^{}]*\}/.exec(content)?.[0];
    const parsed = json ? classification.safeParse(safeParse(json)) : null;
    if (!parsed?.success) return 'general';
    this.#known.add(parsed.data.group);
    return parsed.data.group;
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
