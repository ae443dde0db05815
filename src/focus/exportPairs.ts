import { access, mkdir, open, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MemoryStore, PreferencePair, StoredRequest } from '../memory/MemoryStore.js';
import { writeWhole } from '../writeWhole.js';

/** Folder, beside the JSONL file, that holds the images the pairs' prompts show. */
export const IMAGES_DIR = 'images';

/** What an export wrote. */
export interface ExportCount {
  pairs: number;
  images: number;
  /** Pairs stored before requests and completions were kept: not training-ready, left out. */
  incomplete: number;
}

/**
 * Writes preference pairs as training data for a steer vector (the paper's Phase Two) or any DPO trainer that
 * takes conversational preference data with images (TRL's vision format): per line the prompt as chat messages
 * whose image parts are placeholders, `images` with the path of each image in the order the prompt shows them
 * (relative to the JSONL file's folder; each image is written once, named by its SHA-256), and the chosen and
 * rejected completions as assistant messages, thinking included. Besides: the task group and its example
 * questions, the descriptions alone, the segment and when the pair was made. Documented in docs/focus.md.
 */
export async function exportPairs(store: MemoryStore, out: string, group?: string): Promise<ExportCount> {
  const pairs = await store.preferences(group);
  const folder = dirname(out);
  await mkdir(join(folder, IMAGES_DIR), { recursive: true });
  // Every write is awaited, so that a failure (a full disk) rejects the export instead of surfacing later.
  const sink = await open(out, 'w');
  const count: ExportCount = { pairs: 0, images: 0, incomplete: 0 };
  try {
    for (const pair of pairs) {
      if (!pair.request || pair.chosenCompletion === null || pair.rejectedCompletion === null) {
        count.incomplete++;
        continue;
      }
      const images: string[] = [];
      for (const message of pair.request.messages) {
        for (const part of message.content) {
          if (part.type !== 'image') continue;
          const path = join(IMAGES_DIR, `${part.sha256}.jpg`);
          images.push(path);
          if (await exists(join(folder, path))) continue;
          const jpeg = await store.preferenceImage(part.sha256);
          if (!jpeg) throw new Error(`pair ${pair.id}: its image ${part.sha256} is not in the store`);
          // Whole or not at all: a half-written image would pass for written on the next export.
          await writeWhole(join(folder, path), (temporary) => writeFile(temporary, jpeg));
          count.images++;
        }
      }
      await sink.write(JSON.stringify(trainingLine(pair, pair.request, images)) + '\n');
      count.pairs++;
    }
  } finally {
    await sink.close();
  }
  return count;
}

function trainingLine(pair: PreferencePair, request: StoredRequest, images: string[]) {
  const assistant = (text: string) => [{ role: 'assistant', content: [{ type: 'text', text }] }];
  return {
    id: pair.id,
    group: pair.group,
    examples: pair.examples,
    images,
    prompt: request.messages.map((m) => ({
      role: m.role,
      content: m.content.map((part) => (part.type === 'text' ? { type: 'text', text: part.text } : { type: 'image' })),
    })),
    chosen: assistant(pair.chosenCompletion!),
    rejected: assistant(pair.rejectedCompletion!),
    chosen_description: pair.chosen,
    rejected_description: pair.rejected,
    segment_id: pair.segmentId,
    created_at: pair.createdAt.toString(),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
