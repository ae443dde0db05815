import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';

/** A day of an EgoLife recording (DAY1 = 1) and a time of day in seconds since midnight. */
export interface DayTime {
  /** null: the day of the recording the question is about (a time of day given without a date). */
  day: number | null;
  seconds: number;
}

/** One evidence clip of an EgoLife question in the reference's results format: a video file and its real span. */
export interface EvidenceClip {
  /** The clip's file stem: the video `<videos>/<id>.mp4` and the robot id its memories are stored under. */
  id: string;
  /** Its real span as the reference labels it, e.g. "DAY2: from 16:19:00:000 to 16:20:00:000". */
  label: string;
}

/**
 * One benchmark question in the shape the harness works on, whatever file it came from. A question is answered
 * when it arrives: at `arrivesAt` seconds into its video, at the real time `askedOn` of an EgoLife day recording,
 * or (both null) after its whole video or its evidence clips have been memorized.
 */
export interface BenchQuestion {
  id: string;
  /** The video the question is about; for an EgoLife question with evidence clips, its current clip. */
  videoId: string;
  /** The task group: the dataset's question type. */
  type: string;
  question: string;
  /** Multiple-choice options without letters, in order A, B, …; empty for free-form questions. */
  options: string[];
  /** The correct letter for multiple choice, or the reference answer for free form. */
  answer: string;
  /** Seconds into the video; null: see `askedOn`, else after the whole video. */
  arrivesAt: number | null;
  /** Real date and time of asking (EgoLife's query_time); null when the dataset has none. */
  askedOn: DayTime | null;
  /** Position among the questions of its type, in file order: the order in which questions of a type arrive. */
  order: number;
  /** EgoLife evidence clips (current and target), in the reference's results format; null otherwise. */
  clips: { current: EvidenceClip; targets: EvidenceClip[] } | null;
}

export type DatasetFormat = 'videomme' | 'egolife' | 'egotempo' | 'jsonl';

/**
 * Question files keyed by task type may also hold every question under "all" (the reference's Video-MME and
 * EgoTempo files do): that key is read only when it is the only one, so no question is loaded twice.
 */
const ALL_KEY = 'all';

const videoMmeItem = z
  .object({ videoID: z.string(), question: z.string(), options: z.array(z.string()).min(2), answer: z.string().regex(/^[A-Z]$/) })
  .passthrough();
const egoTempoItem = z.object({ videoID: z.string(), question: z.string(), answer: z.string() }).passthrough();

const clock = z.union([z.string(), z.number()]);
const queryTime = z.union([clock, z.object({ date: z.string().optional(), time: clock }).passthrough()]);
const id = z.union([z.string(), z.number()]).transform(String);

/** An EgoLifeQA item (the dataset's own files), optionally with the video it is about. */
const egoLifeItem = z
  .object({
    ID: id.optional(),
    id: id.optional(),
    videoID: z.string().optional(),
    video_id: z.string().optional(),
    question: z.string(),
    query_time: queryTime,
    choice_a: z.string(),
    choice_b: z.string(),
    choice_c: z.string(),
    choice_d: z.string(),
    answer: z.string(),
    type: z.string().optional(),
  })
  .passthrough();

const clipGroup = z.object({ output: z.string() }).passthrough();

/** One item of the reference's EgoLife results file: the question, and the clips its evidence lies in. */
const egoLifeResult = z
  .object({
    ID: id.optional(),
    id: id.optional(),
    qa_raw: z
      .object({
        question: z.string(),
        choice_a: z.string(),
        choice_b: z.string(),
        choice_c: z.string(),
        choice_d: z.string(),
        type: z.string().optional(),
        answer: z.string().optional(),
        query_time: queryTime.optional(),
      })
      .passthrough(),
    qa: z.object({ answer: z.string().optional(), type: z.string().optional(), query_time: queryTime.optional() }).passthrough().optional(),
    current_groups: z.array(clipGroup).min(1),
    target_groups: z.array(clipGroup).min(1),
  })
  .passthrough();

const egoLifeResults = z.object({ results: z.array(egoLifeResult) }).passthrough();
const egoLife = z.union([z.array(egoLifeItem), z.record(z.string(), z.array(egoLifeItem))]);

const jsonlItem = z.object({
  id: z.string().optional(),
  video: z.string(),
  type: z.string().default('general'),
  question: z.string(),
  options: z.array(z.string()).default([]),
  answer: z.string(),
  at: z.number().nonnegative().nullable().default(null),
});

type Loaded = Omit<BenchQuestion, 'order'>;

/** Reads a question file of one of the supported shapes; errors name the file, the item and the field. */
export async function loadQuestions(path: string, format: DatasetFormat): Promise<BenchQuestion[]> {
  const text = await readFile(path, 'utf8');
  const fail = (detail: string): never => {
    throw new Error(`bench: ${path} is not a valid ${format} question file: ${detail}`);
  };
  return numberByType(
    format === 'jsonl'
      ? fromJsonl(text, fail)
      : fromJson(
          parseJson(text, () => fail('not JSON')),
          format,
          fail,
        ),
  );
}

function fromJsonl(text: string, fail: (detail: string) => never): Loaded[] {
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      const parsed = jsonlItem.safeParse(parseJson(line, () => fail(`line ${n} is not JSON`)));
      if (!parsed.success) return fail(`line ${n}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join(', ')}`);
      const q = parsed.data;
      return { ...base(q.id ?? `${q.video}#${n}`, q.video, q.type, q.question, q.options, q.answer), arrivesAt: q.at };
    });
}

function fromJson(json: unknown, format: Exclude<DatasetFormat, 'jsonl'>, fail: (detail: string) => never): Loaded[] {
  switch (format) {
    case 'videomme': {
      const parsed = z.record(z.string(), z.array(videoMmeItem)).safeParse(json);
      if (!parsed.success) return fail(issueText(parsed.error));
      return byType(parsed.data).flatMap(([type, items]) =>
        items.map((item, i) =>
          base(`${item.videoID}#${type}#${i}`, item.videoID, type, item.question, item.options.map(stripLetter), item.answer),
        ),
      );
    }
    case 'egotempo': {
      const parsed = z.record(z.string(), z.array(egoTempoItem)).safeParse(json);
      if (!parsed.success) return fail(issueText(parsed.error));
      return byType(parsed.data).flatMap(([type, items]) =>
        items.map((item, i) => base(`${item.videoID}#${type}#${i}`, item.videoID, type, item.question, [], item.answer)),
      );
    }
    case 'egolife': {
      if (typeof json === 'object' && json !== null && 'results' in json) {
        const parsed = egoLifeResults.safeParse(json);
        if (!parsed.success) return fail(issueText(parsed.error));
        return parsed.data.results.map((item, i) => egoLifeWithClips(item, i, fail));
      }
      const parsed = egoLife.safeParse(json);
      if (!parsed.success) return fail(issueText(parsed.error));
      const data = parsed.data;
      const items = Array.isArray(data)
        ? data.map((item) => ['', item] as const)
        : byType(data).flatMap(([type, list]) => list.map((item) => [type, item] as const));
      return items.map(([groupType, item], i) => egoLifeQuestion(item, groupType, i, fail));
    }
  }
}

function egoLifeQuestion(item: z.infer<typeof egoLifeItem>, groupType: string, i: number, fail: (detail: string) => never): Loaded {
  const videoId = item.videoID ?? item.video_id ?? '';
  const when = readQueryTime(item.query_time) ?? fail(`item ${i} has an unreadable query_time ${JSON.stringify(item.query_time)}`);
  if (!videoId && (typeof when === 'number' || when.day === null))
    fail(`item ${i} gives its query_time without a date and has no videoID: say which recording it is asked in`);
  const options = [item.choice_a, item.choice_b, item.choice_c, item.choice_d].map(stripLetter);
  return {
    ...base(
      item.ID ?? item.id ?? `${videoId || 'egolife'}#${i}`,
      videoId,
      item.type ?? (groupType || 'general'),
      item.question,
      options,
      letter(item.answer),
    ),
    ...(typeof when === 'number' ? { arrivesAt: when } : { askedOn: when }),
  };
}

function egoLifeWithClips(item: z.infer<typeof egoLifeResult>, i: number, fail: (detail: string) => never): Loaded {
  const raw = item.qa_raw;
  const answer = item.qa?.answer ?? raw.answer ?? fail(`results[${i}] has no answer (qa.answer)`);
  const clip = (group: { output: string }, which: string): EvidenceClip => {
    const stem = basename(group.output).replace(/\.[^.]*$/, '');
    return {
      id: stem,
      label: clipLabel(stem) ?? fail(`results[${i}] ${which} clip ${JSON.stringify(group.output)} names no DAYn and times`),
    };
  };
  const current = clip(item.current_groups[0]!, 'current');
  const queried = item.qa?.query_time ?? raw.query_time;
  const when = queried === undefined ? null : readQueryTime(queried);
  const options = [raw.choice_a, raw.choice_b, raw.choice_c, raw.choice_d].map(stripLetter);
  return {
    ...base(
      item.ID ?? item.id ?? `egolife#${i}`,
      current.id,
      raw.type ?? item.qa?.type ?? 'general',
      raw.question,
      options,
      letter(answer),
    ),
    askedOn: typeof when === 'object' ? when : null,
    // The reference reads only the first current clip.
    clips: { current, targets: item.target_groups.map((g) => clip(g, 'target')) },
  };
}

function base(id: string, videoId: string, type: string, question: string, options: string[], answer: string): Loaded {
  return { id, videoId, type, question, options, answer, arrivesAt: null, askedOn: null, clips: null };
}

/** The groups of a file keyed by task type, without "all" when per-type keys are there too. */
function byType<T>(groups: Record<string, T[]>): [string, T[]][] {
  const entries = Object.entries(groups);
  return entries.length > 1 ? entries.filter(([type]) => type !== ALL_KEY) : entries;
}

function numberByType(questions: Loaded[]): BenchQuestion[] {
  const seen = new Map<string, number>();
  return questions.map((q) => {
    const order = seen.get(q.type) ?? 0;
    seen.set(q.type, order + 1);
    return { ...q, order };
  });
}

/** "A. a red cup" → "a red cup" (Video-MME options carry their letter). */
function stripLetter(option: string): string {
  return option.replace(/^\s*\(?[A-Z][.):]\s+/, '');
}

function letter(answer: string): string {
  return answer.trim().charAt(0).toUpperCase();
}

/**
 * An EgoLife query time: a number is seconds into the recording; "HH:MM:SS" or the dataset's packed "HHMMSSff"
 * (11210217 = 11:21:02.17) is a time of day, on the day `date` names ("DAY2") when given.
 */
export function readQueryTime(value: string | number | { date?: string; time: string | number }): number | DayTime | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const seconds = timeOfDay(value);
    if (seconds !== null) return { day: null, seconds };
    const plain = Number(value);
    return value.trim() !== '' && Number.isFinite(plain) ? plain : null;
  }
  const seconds = timeOfDay(String(value.time));
  if (seconds === null) return null;
  if (value.date === undefined) return { day: null, seconds };
  const day = dayNumber(value.date);
  return day === null ? null : { day, seconds };
}

/** "DAY3" → 3. */
export function dayNumber(text: string): number | null {
  const match = /^DAY(\d+)$/i.exec(text.trim());
  return match ? Number(match[1]) : null;
}

/** Seconds since midnight of "HH:MM:SS(.s)" or the packed "HHMMSSff"; null for anything else or an impossible time. */
export function timeOfDay(text: string): number | null {
  const clock = /^(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text.trim());
  const packed = /^(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text.trim());
  const [h, m, s] = clock
    ? [Number(clock[1]), Number(clock[2]), Number(clock[3])]
    : packed
      ? [Number(packed[1]), Number(packed[2]), Number(packed[3]) + Number(packed[4]) / 100]
      : [NaN, NaN, NaN];
  if (!(h < 24 && m < 60 && s < 60)) return null;
  return h * 3600 + m * 60 + s;
}

/**
 * The reference's label of a clip from its file stem, e.g. `current_123_DAY2_A1_JAKE_16190000__DAY2_A1_JAKE_16200000`
 * → "DAY2: from 16:19:00:000 to 16:20:00:000"; null when the stem has no day and two packed times.
 */
function clipLabel(stem: string): string | null {
  const day = /DAY\d+/i.exec(stem)?.[0];
  const times = /(\d{8})__.*?(\d{8})/.exec(stem);
  if (!day || !times) return null;
  const from = timeOfDay(times[1]!);
  const to = timeOfDay(times[2]!);
  if (from === null || to === null) return null;
  return `${day.toUpperCase()}: from ${clockWithMillis(from)} to ${clockWithMillis(to)}`;
}

function clockWithMillis(seconds: number): string {
  const millis = Math.round(seconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(millis / 3_600_000))}:${pad(Math.floor(millis / 60_000) % 60)}:${pad(Math.floor(millis / 1000) % 60)}:${pad(millis % 1000, 3)}`;
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
