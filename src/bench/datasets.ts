import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * One benchmark question in the shape the harness works on, whatever file it came from. `arrivesAt` is seconds
 * from the start of the video: the question is answered then, from the memories written up to that moment.
 */
export interface BenchQuestion {
  id: string;
  videoId: string;
  /** The task group: the dataset's question type. */
  type: string;
  question: string;
  /** Multiple-choice options without letters, in order A, B, …; empty for free-form questions. */
  options: string[];
  /** The correct letter for multiple choice, or the reference answer for free form. */
  answer: string;
  /** Seconds into the video; null: after the whole video has been memorized. */
  arrivesAt: number | null;
}

export type DatasetFormat = 'videomme' | 'egolife' | 'egotempo' | 'jsonl';

const videoMme = z.record(
  z.string(),
  z.array(
    z
      .object({ videoID: z.string(), question: z.string(), options: z.array(z.string()).min(2), answer: z.string().regex(/^[A-Z]$/) })
      .passthrough(),
  ),
);

const egoLifeItem = z
  .object({
    ID: z.union([z.string(), z.number()]).optional(),
    id: z.union([z.string(), z.number()]).optional(),
    videoID: z.string().optional(),
    video_id: z.string().optional(),
    question: z.string(),
    query_time: z.union([z.string(), z.number(), z.object({ time: z.union([z.string(), z.number()]) }).passthrough()]),
    target_time: z.unknown().optional(),
    choice_a: z.string(),
    choice_b: z.string(),
    choice_c: z.string(),
    choice_d: z.string(),
    answer: z.string(),
    type: z.string().optional(),
  })
  .passthrough();
const egoLife = z.union([z.array(egoLifeItem), z.record(z.string(), z.array(egoLifeItem))]);

const egoTempo = z.record(z.string(), z.array(z.object({ videoID: z.string(), question: z.string(), answer: z.string() }).passthrough()));

const jsonlItem = z.object({
  id: z.string().optional(),
  video: z.string(),
  type: z.string().default('general'),
  question: z.string(),
  options: z.array(z.string()).default([]),
  answer: z.string(),
  at: z.number().nonnegative().nullable().default(null),
});

/** Reads a question file of one of the supported shapes; errors name the file, the item and the field. */
export async function loadQuestions(path: string, format: DatasetFormat): Promise<BenchQuestion[]> {
  const text = await readFile(path, 'utf8');
  const fail = (detail: string): never => {
    throw new Error(`bench: ${path} is not a valid ${format} question file: ${detail}`);
  };
  if (format === 'jsonl') {
    return text
      .split('\n')
      .map((line, i) => [line.trim(), i + 1] as const)
      .filter(([line]) => line !== '')
      .map(([line, n]) => {
        const parsed = jsonlItem.safeParse(parseJson(line, () => fail(`line ${n} is not JSON`)));
        if (!parsed.success) return fail(`line ${n}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join(', ')}`);
        const q = parsed.data;
        return {
          id: q.id ?? `${q.video}#${n}`,
          videoId: q.video,
          type: q.type,
          question: q.question,
          options: q.options,
          answer: q.answer,
          arrivesAt: q.at,
        };
      });
  }
  const json = parseJson(text, () => fail('not JSON'));
  switch (format) {
    case 'videomme': {
      const parsed = videoMme.safeParse(json);
      if (!parsed.success) return fail(issueText(parsed.error));
      return Object.entries(parsed.data).flatMap(([type, items]) =>
        items.map((item, i) => ({
          id: `${item.videoID}#${type}#${i}`,
          videoId: item.videoID,
          type,
          question: item.question,
          options: item.options.map(stripLetter),
          answer: item.answer,
          arrivesAt: null,
        })),
      );
    }
    case 'egolife': {
      const parsed = egoLife.safeParse(json);
      if (!parsed.success) return fail(issueText(parsed.error));
      const items = Array.isArray(parsed.data)
        ? parsed.data.map((item) => ['', item] as const)
        : Object.entries(parsed.data).flatMap(([type, list]) => list.map((item) => [type, item] as const));
      return items.map(([groupType, item], i) => {
        const videoId = item.videoID ?? item.video_id ?? fail(`item ${i} has no videoID`);
        return {
          id: String(item.ID ?? item.id ?? `${videoId}#${i}`),
          videoId,
          type: item.type ?? (groupType || 'general'),
          question: item.question,
          options: [item.choice_a, item.choice_b, item.choice_c, item.choice_d].map(stripLetter),
          answer: item.answer.trim().charAt(0).toUpperCase(),
          arrivesAt: queryTimeSeconds(item.query_time) ?? fail(`item ${i} has an unreadable query_time`),
        };
      });
    }
    case 'egotempo': {
      const parsed = egoTempo.safeParse(json);
      if (!parsed.success) return fail(issueText(parsed.error));
      return Object.entries(parsed.data).flatMap(([type, items]) =>
        items.map((item, i) => ({
          id: `${item.videoID}#${type}#${i}`,
          videoId: item.videoID,
          type,
          question: item.question,
          options: [],
          answer: item.answer,
          arrivesAt: null,
        })),
      );
    }
  }
}

/** "A. a red cup" → "a red cup" (Video-MME options carry their letter). */
function stripLetter(option: string): string {
  return option.replace(/^\s*\(?[A-Z][.):]\s+/, '');
}

/**
 * EgoLife query times are seconds, "HH:MM:SS", or the dataset's DAYx-HHMMSSff form ({ time: "11210217" } meaning
 * 11:21:02.17); all are read as seconds from the start of the day's recording.
 */
export function queryTimeSeconds(value: string | number | { time: string | number }): number | null {
  const raw = typeof value === 'object' ? value.time : value;
  if (typeof raw === 'number') return raw;
  const clock = /^(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(raw);
  if (clock) return Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
  const packed = /^(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(raw);
  if (packed) return Number(packed[1]) * 3600 + Number(packed[2]) * 60 + Number(packed[3]) + Number(packed[4]) / 100;
  const seconds = Number(raw);
  return Number.isFinite(seconds) ? seconds : null;
}

function parseJson(text: string, onError: () => never): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return onError();
  }
}

function issueText(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
