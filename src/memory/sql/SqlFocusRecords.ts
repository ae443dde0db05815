import { quotedForms } from '../../text/quotedData.js';
import { embeddingFromBytes, embeddingToBytes } from '../embedding.js';
import type { FocusRecords, FocusVectorRecord, PreferencePair, StoredRequest } from '../FocusRecords.js';
import type { Memory } from '../Memory.js';
import type { QuotingRecords } from './QuotingRecords.js';
import type { SqlConnection, SqlExecutor, SqlInteger } from './SqlConnection.js';

interface PreferenceRow {
  id: string;
  segment_id: string;
  task_group: string;
  prompt: string;
  request: string | null;
  chosen: string;
  rejected: string;
  chosen_completion: string | null;
  rejected_completion: string | null;
  examples: string;
  chosen_embedding: Buffer | null;
  rejected_embedding: Buffer | null;
  created_ns: SqlInteger;
}

interface FocusVectorRow {
  version: SqlInteger;
  vector: Buffer;
  pairs: SqlInteger;
  trained_ns: SqlInteger;
}

/** The columns of a preference pair that hold text from memories: what the model saw and what it wrote. */
const QUOTING_COLUMNS = ['prompt', 'request', 'chosen', 'rejected', 'chosen_completion', 'rejected_completion', 'examples'] as const;

/**
 * Preference pairs and versioned focus vectors, in SQL both dialects share (tables `preferences`,
 * `preference_images`, `focus_vectors`).
 */
export class SqlFocusRecords implements FocusRecords, QuotingRecords {
  readonly #sql: SqlConnection;

  constructor(sql: SqlConnection) {
    this.#sql = sql;
  }

  async putPreference(pair: PreferencePair, images: ReadonlyMap<string, Uint8Array> = new Map()): Promise<void> {
    await this.#sql.transaction(async (tx) => {
      for (const [sha256, jpeg] of images) {
        await tx.run('INSERT INTO preference_images (sha256, jpeg) VALUES (@sha256, @jpeg) ON CONFLICT (sha256) DO NOTHING', {
          sha256,
          jpeg: Buffer.from(jpeg),
        });
      }
      await tx.run(
        `INSERT INTO preferences (id, segment_id, task_group, prompt, chosen, rejected, examples, chosen_embedding, rejected_embedding, created_ns,
           request, chosen_completion, rejected_completion)
         VALUES (@id, @segmentId, @group, @prompt, @chosen, @rejected, @examples, @chosenEmbedding, @rejectedEmbedding, @createdAt,
           @request, @chosenCompletion, @rejectedCompletion)
         ON CONFLICT (id) DO NOTHING`,
        {
          id: pair.id,
          segmentId: pair.segmentId,
          group: pair.group,
          prompt: pair.prompt,
          chosen: pair.chosen,
          rejected: pair.rejected,
          examples: JSON.stringify(pair.examples),
          chosenEmbedding: pair.chosenEmbedding && embeddingToBytes(pair.chosenEmbedding),
          rejectedEmbedding: pair.rejectedEmbedding && embeddingToBytes(pair.rejectedEmbedding),
          createdAt: pair.createdAt,
          request: pair.request && JSON.stringify(pair.request),
          chosenCompletion: pair.chosenCompletion,
          rejectedCompletion: pair.rejectedCompletion,
        },
      );
    });
  }

  /**
   * Removes the pairs of a forgotten memory's segment (its candidates describe what was forgotten) and every pair
   * whose request or completions quote a forgotten memory (one in the window of a later segment), with the images
   * no remaining pair shows. Removed, not redacted: a pair whose prompt was edited is no longer what the model was
   * shown, so it would train the steer vector on a request that never happened. Focus vectors already trained on
   * them hold numbers, not text, and are kept; the next training no longer sees the pairs.
   */
  async removeQuoting(tx: SqlExecutor, forgotten: readonly Memory[]): Promise<number> {
    const ids = new Set(forgotten.map((m) => m.id));
    const forms = forgotten.flatMap((m) => quotedForms(m.text));
    const pairs = await tx.all<{ id: string; segment_id: string } & Record<(typeof QUOTING_COLUMNS)[number], string | null>>(
      `SELECT id, segment_id, ${QUOTING_COLUMNS.join(', ')} FROM preferences`,
    );
    const quotes = (pair: (typeof pairs)[number]) =>
      ids.has(pair.segment_id) || QUOTING_COLUMNS.some((column) => forms.some((form) => pair[column]?.includes(form)));
    const removed = pairs.filter(quotes);
    if (removed.length === 0) return 0;
    const { dialect } = this.#sql;
    await tx.run(`DELETE FROM preferences WHERE ${dialect.inList('id', 'ids', 'text')}`, { ids: dialect.list(removed.map((p) => p.id)) });
    const shown = new Set(pairs.filter((p) => !quotes(p)).flatMap((p) => imagesOf(p.request)));
    const unshown = [...new Set(removed.flatMap((p) => imagesOf(p.request)))].filter((sha256) => !shown.has(sha256));
    if (unshown.length > 0)
      await tx.run(`DELETE FROM preference_images WHERE ${dialect.inList('sha256', 'shas', 'text')}`, { shas: dialect.list(unshown) });
    return removed.length;
  }

  async preferenceImage(sha256: string): Promise<Uint8Array | null> {
    const row = await this.#sql.get<{ jpeg: Buffer }>('SELECT jpeg FROM preference_images WHERE sha256 = @sha256', { sha256 });
    return row ? new Uint8Array(row.jpeg) : null;
  }

  async preferences(group?: string): Promise<PreferencePair[]> {
    const rows = await this.#sql.all<PreferenceRow>(
      `SELECT id, segment_id, task_group, prompt, request, chosen, rejected, chosen_completion, rejected_completion, examples,
         chosen_embedding, rejected_embedding, created_ns
       FROM preferences${group === undefined ? '' : ' WHERE task_group = @group'} ORDER BY created_ns, id`,
      { group },
    );
    return rows.map((r) => ({
      id: r.id,
      segmentId: r.segment_id,
      group: r.task_group,
      prompt: r.prompt,
      request: r.request === null ? null : (JSON.parse(r.request) as StoredRequest),
      chosen: r.chosen,
      rejected: r.rejected,
      chosenCompletion: r.chosen_completion,
      rejectedCompletion: r.rejected_completion,
      examples: JSON.parse(r.examples) as string[],
      chosenEmbedding: r.chosen_embedding && embeddingFromBytes(r.chosen_embedding),
      rejectedEmbedding: r.rejected_embedding && embeddingFromBytes(r.rejected_embedding),
      createdAt: BigInt(r.created_ns),
    }));
  }

  async putFocusVector(record: Omit<FocusVectorRecord, 'version'>): Promise<FocusVectorRecord> {
    // One statement: the next version is read and written atomically.
    const row = await this.#sql.get<{ version: SqlInteger }>(
      `INSERT INTO focus_vectors (task_group, version, vector, pairs, trained_ns)
       SELECT @group, coalesce(max(version), 0) + 1, @vector, @pairs, @trainedAt FROM focus_vectors WHERE task_group = @group
       RETURNING version`,
      { group: record.group, vector: embeddingToBytes(record.vector), pairs: record.pairs, trainedAt: record.trainedAt },
    );
    return { ...record, version: Number(row!.version) };
  }

  async focusVector(group: string): Promise<FocusVectorRecord | null> {
    const r = await this.#sql.get<FocusVectorRow>(
      'SELECT version, vector, pairs, trained_ns FROM focus_vectors WHERE task_group = @group AND NOT retired ORDER BY version DESC LIMIT 1',
      { group },
    );
    return r
      ? { group, version: Number(r.version), vector: embeddingFromBytes(r.vector), pairs: Number(r.pairs), trainedAt: BigInt(r.trained_ns) }
      : null;
  }

  async resetFocusVector(group: string): Promise<void> {
    await this.#sql.run('UPDATE focus_vectors SET retired = TRUE WHERE task_group = @group', { group });
  }
}

/** The SHA-256 of every image a stored request (JSON) shows. */
function imagesOf(request: string | null): string[] {
  if (request === null) return [];
  const { messages } = JSON.parse(request) as StoredRequest;
  return messages.flatMap((m) => m.content.flatMap((part) => (part.type === 'image' ? [part.sha256] : [])));
}
