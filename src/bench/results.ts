import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { answerMetrics, formatProportion, type AnswerMetrics } from '../answer/metrics.js';

/** Which answering protocol produced a result: the TaskMem reference's (`paper`) or the robot's retrieval (`robot`). */
export type Protocol = 'paper' | 'robot';

/** One graded question of a run, one line of results.jsonl. */
export const resultSchema = z.object({
  run: z.string(),
  dataset: z.string(),
  protocol: z.enum(['paper', 'robot']).default('robot'),
  /** The unit (streams answered from) it belongs to; its done-marker follows its results. */
  unit: z.string().default(''),
  videoId: z.string(),
  questionId: z.string(),
  type: z.string(),
  question: z.string(),
  reference: z.string(),
  predicted: z.string(),
  abstained: z.boolean(),
  correct: z.boolean(),
  /** The reply could not be read as an answer: scored as answered and wrong. */
  unparsable: z.boolean().default(false),
  /** The judge gave no readable grade: scored as wrong. */
  judgeError: z.boolean().default(false),
  /** Votes per letter when several replies were sampled (EgoLife). */
  votes: z.record(z.string(), z.number()).nullable().default(null),
  /** The robot ids (streams) answered from. */
  sources: z.array(z.string()).default([]),
  /** Seconds into its stream when the question was asked; null: after its streams were memorized. */
  askedAtS: z.number().nullable(),
  /** Memories that existed when it was asked, in the streams it was answered from. */
  memoriesAvailable: z.number().int(),
  evidence: z.array(z.string()),
});
export type QuestionResult = z.infer<typeof resultSchema>;

const requestStats = z.object({
  requests: z.number(),
  textTokens: z.number(),
  imageTokens: z.number(),
  images: z.number(),
  sharedPrefixTokens: z.number(),
});

/** A stream memorized to the end: what its memory holds, read from the store. */
const memorizedSchema = z.object({
  memorized: z.string(),
  segments: z.number().int(),
  memories: z.number().int(),
  /** Memories written by the perception memorizer because the policy endpoint was unreachable. */
  fallback: z.number().int(),
  failed: z.number().int(),
  /** ROS time (ns, as a string) the stream ended at: questions after it are asked then. */
  endNs: z.string(),
  /** The memorizer requests of this process for the stream (a resumed stream counts only the new ones). */
  requests: requestStats,
});
export type StreamMemorized = z.infer<typeof memorizedSchema>;

/** Marks a finished unit in results.jsonl, so a resumed run skips it. */
const doneSchema = z.object({ done: z.string() }).passthrough();

/** What a run was made with, written at every start; a resumed run must match it. */
export const runInfoSchema = z.object({
  name: z.string(),
  protocol: z.enum(['paper', 'robot']),
  dataset: z.string(),
  /** EgoLife: "clips" or "stream"; null for other datasets. */
  egolife: z.string().nullable(),
  /** Prompt name → hash and source. */
  prompts: z.record(z.string(), z.string()),
  /** Role → served model (or what stands in for one). */
  models: z.record(z.string(), z.string()),
  /** How speech reached the memorizer. */
  speech: z.string(),
  /** What the memorizer saw per request: keyframes, window frames, window memories. */
  memorizerInput: z.string(),
  /** Replies sampled per question. */
  samples: z.number().int(),
  /** Focus: depth, and the schedule of the per-type memories when the paper's. */
  focus: z.string(),
  startedAt: z.string(),
});
export type RunInfo = z.infer<typeof runInfoSchema>;

export const RESULTS_FILE = 'results.jsonl';

/** Appends a run's description. */
export async function appendRunInfo(runDir: string, info: RunInfo): Promise<void> {
  await appendFile(join(runDir, RESULTS_FILE), JSON.stringify({ runInfo: info }) + '\n');
}

/**
 * Appends a finished unit: its results, the streams it memorized and its done-marker, in one write, so a crash
 * never leaves half a unit.
 */
export async function appendUnit(runDir: string, unit: string, results: QuestionResult[], memorized: StreamMemorized[]): Promise<void> {
  const lines = [...results, ...memorized, { done: unit }].map((r) => JSON.stringify(r)).join('\n') + '\n';
  await appendFile(join(runDir, RESULTS_FILE), lines);
}

export interface RunResults {
  results: QuestionResult[];
  /** Finished units. */
  done: Set<string>;
  /** Streams memorized to the end, by robot id. */
  memorized: Map<string, StreamMemorized>;
  /** The descriptions of every start of the run, oldest first. */
  runInfo: RunInfo[];
}

/** Reads a run's results.jsonl; a torn last line (a crash mid-write) is ignored along with its unit. */
export async function readRun(runDir: string): Promise<RunResults> {
  let text = '';
  try {
    text = await readFile(join(runDir, RESULTS_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const run: RunResults = { results: [], done: new Set(), memorized: new Map(), runInfo: [] };
  let pending: QuestionResult[] = [];
  let pendingStreams: StreamMemorized[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const info = z.object({ runInfo: runInfoSchema }).safeParse(value);
    if (info.success) {
      run.runInfo.push(info.data.runInfo);
      continue;
    }
    const memorized = memorizedSchema.safeParse(value);
    if (memorized.success) {
      pendingStreams.push(memorized.data);
      continue;
    }
    const marker = doneSchema.safeParse(value);
    if (marker.success) {
      run.done.add(marker.data.done);
      // Results of older runs name no unit: their unit was the video.
      run.results.push(...pending.filter((r) => (r.unit || r.videoId) === marker.data.done));
      for (const s of pendingStreams) run.memorized.set(s.memorized, s);
      pending = [];
      pendingStreams = [];
      continue;
    }
    const result = resultSchema.safeParse(value);
    if (result.success) pending.push(result.data);
  }
  return run;
}

export interface Summary {
  overall: AnswerMetrics;
  byType: Map<string, AnswerMetrics>;
}

export function summarize(results: QuestionResult[]): Summary {
  const byType = new Map<string, QuestionResult[]>();
  for (const r of results) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  return {
    overall: answerMetrics(results),
    byType: new Map([...byType].sort(([a], [b]) => a.localeCompare(b)).map(([type, rs]) => [type, answerMetrics(rs)])),
  };
}

const cell = (m: AnswerMetrics) => `${pctOf(m.accuracy.value)} / ${pctOf(m.coverage.value)} / ${pctOf(m.precision.value)}`;
const pctOf = (v: number | null) => (v === null ? '—' : (100 * v).toFixed(1));

/** How a run's rows are named in tables: its name and the protocol that produced it. */
export interface RunRow {
  name: string;
  protocol: Protocol;
  summary: Summary;
}

/** What each protocol is, in a table's words. */
const PROTOCOL_NAMES: Record<Protocol, string> = {
  paper: 'paper (TaskMem reference: whole memory)',
  robot: "robot (retrieval, not the paper's)",
};

/**
 * The paper's layout: one row per run, Accuracy / Coverage / Precision per column (overall, then each question
 * type), followed by the 95% intervals of the overall figures. Every row says which protocol produced it.
 */
export function markdownTable(runs: RunRow[]): string {
  const types = [...new Set(runs.flatMap((r) => [...r.summary.byType.keys()]))].sort();
  const header = `| Method | Protocol | Overall (n) | ${types.join(' | ')} |`;
  const rule = `|---|---|---|${types.map(() => '---').join('|')}|`;
  const rows = runs.map(({ name, protocol, summary }) => {
    const perType = types.map((t) => {
      const m = summary.byType.get(t);
      return m ? cell(m) : '—';
    });
    return `| ${name} | ${PROTOCOL_NAMES[protocol]} | ${cell(summary.overall)} (${summary.overall.questions}) | ${perType.join(' | ')} |`;
  });
  const intervals = runs.map(
    ({ name, summary }) =>
      `- ${name}: Accuracy ${formatProportion(summary.overall.accuracy)}, Coverage ${formatProportion(summary.overall.coverage)}, Precision ${formatProportion(summary.overall.precision)}`,
  );
  return [`Accuracy / Coverage / Precision (%)`, '', header, rule, ...rows, '', '95% Wilson intervals:', ...intervals, ''].join('\n');
}

/**
 * How a run was made and what went wrong in it: protocol, models, prompts' hashes, speech and memorizer input,
 * then the counts that a table hides: failed segments, fallback memories, unparsable replies, judge errors, and
 * the memorizer's request sizes with the prefix consecutive requests share.
 */
export function runDetails(info: RunInfo, run: RunResults): string {
  const streams = [...run.memorized.values()];
  const sum = (f: (s: StreamMemorized) => number) => streams.reduce((n, s) => n + f(s), 0);
  const requests = sum((s) => s.requests.requests);
  const perRequest = (f: (s: StreamMemorized) => number) => (requests === 0 ? 0 : sum(f) / requests);
  const shared = sum((s) => s.requests.sharedPrefixTokens);
  const later = requests - streams.filter((s) => s.requests.requests > 0).length;
  const total = sum((s) => s.requests.textTokens + s.requests.imageTokens);
  const count = (f: (r: QuestionResult) => boolean) => run.results.filter(f).length;
  const lines = [
    `## ${info.name}`,
    '',
    `- protocol: ${PROTOCOL_NAMES[info.protocol]}`,
    `- dataset: ${info.dataset}${info.egolife ? ` (${info.egolife === 'clips' ? 'evidence clips' : 'day recordings at their real times'})` : ''}`,
    `- models: ${Object.entries(info.models)
      .map(([role, model]) => `${role} ${model}`)
      .join('; ')}`,
    `- prompts (SHA-256, first 12 hex): ${Object.entries(info.prompts)
      .map(([name, hash]) => `${name} ${hash}`)
      .join('; ')}`,
    `- speech: ${info.speech}`,
    `- memorizer input: ${info.memorizerInput}`,
    `- focus: ${info.focus}`,
    `- replies sampled per question: ${info.samples}`,
    `- streams memorized: ${streams.length}; segments ${sum((s) => s.segments)}, memories ${sum((s) => s.memories)}, ` +
      `fallback memories (perception, policy unreachable) ${sum((s) => s.fallback)}, failed segments ${sum((s) => s.failed)}`,
    `- questions: ${run.results.length}; abstained ${count((r) => r.abstained)}, unparsable replies (scored wrong) ${count((r) => r.unparsable)}, ` +
      `judge errors (scored wrong) ${count((r) => r.judgeError)}`,
    requests === 0
      ? '- memorizer requests: none made by this run (no policy endpoint, or every stream resumed from the store)'
      : `- memorizer requests: ${requests}; per request about ${perRequest((s) => s.requests.textTokens).toFixed(0)} text tokens and ` +
        `${perRequest((s) => s.requests.imageTokens).toFixed(0)} visual tokens (${perRequest((s) => s.requests.images).toFixed(1)} images, Qwen3-VL 32 px patches); ` +
        `shared with the previous request of the same stream about ${later === 0 ? 0 : (shared / later).toFixed(0)} tokens (${total === 0 ? 0 : ((100 * shared) / total).toFixed(1)}% of all prompt tokens)`,
    '',
  ];
  return lines.join('\n');
}

/** A bar chart of the three metrics per run with 95% interval whiskers, as standalone SVG. */
export function svgChart(runs: RunRow[]): string {
  const metrics = ['accuracy', 'coverage', 'precision'] as const;
  const colours = { accuracy: '#3b6fb6', coverage: '#8aa9d6', precision: '#e08a3c' };
  const barWidth = 22;
  const groupWidth = metrics.length * barWidth + 30;
  const height = 260;
  const top = 30;
  const plot = 180;
  const left = 40;
  const width = left + runs.length * groupWidth + 20;
  const y = (v: number) => top + plot * (1 - v);
  const parts: string[] = [];
  for (let tick = 0; tick <= 100; tick += 25) {
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y(tick / 100)}" y2="${y(tick / 100)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(tick / 100) + 4}" font-size="10" text-anchor="end">${tick}</text>`);
  }
  runs.forEach(({ name, summary }, i) => {
    const x0 = left + 15 + i * groupWidth;
    metrics.forEach((metric, j) => {
      const p = summary.overall[metric];
      const v = p.value ?? 0;
      const x = x0 + j * barWidth;
      parts.push(
        `<rect x="${x}" y="${y(v)}" width="${barWidth - 4}" height="${plot * v}" fill="${colours[metric]}"><title>${escapeXml(name)} ${metric} ${pctOf(p.value)}%</title></rect>`,
      );
      const cx = x + (barWidth - 4) / 2;
      parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(p.high)}" y2="${y(p.low)}" stroke="#222"/>`);
    });
    parts.push(
      `<text x="${x0 + (metrics.length * barWidth) / 2}" y="${top + plot + 16}" font-size="11" text-anchor="middle">${escapeXml(name)}</text>`,
    );
  });
  metrics.forEach((metric, j) => {
    parts.push(`<rect x="${left + j * 90}" y="6" width="10" height="10" fill="${colours[metric]}"/>`);
    parts.push(`<text x="${left + j * 90 + 14}" y="15" font-size="11">${metric}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
