import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { answerMetrics, formatProportion, type AnswerMetrics } from '../answer/metrics.js';

/** One graded question of a run, one line of results.jsonl. */
export const resultSchema = z.object({
  run: z.string(),
  dataset: z.string(),
  videoId: z.string(),
  questionId: z.string(),
  type: z.string(),
  question: z.string(),
  reference: z.string(),
  predicted: z.string(),
  abstained: z.boolean(),
  correct: z.boolean(),
  /** Seconds into the video when the question was asked. */
  askedAtS: z.number(),
  /** Memories that existed when it was asked (for this video). */
  memoriesAvailable: z.number().int(),
  evidence: z.array(z.string()),
});
export type QuestionResult = z.infer<typeof resultSchema>;

/** Marks a finished video in results.jsonl, so a resumed run skips it. */
const doneSchema = z.object({ done: z.string(), segments: z.number().int(), memories: z.number().int(), failed: z.number().int() });
export type VideoDone = z.infer<typeof doneSchema>;

export const RESULTS_FILE = 'results.jsonl';

/** Appends a finished video's results and its done-marker in one write, so a crash never leaves half a video. */
export async function appendVideo(runDir: string, results: QuestionResult[], done: VideoDone): Promise<void> {
  const lines = [...results, done].map((r) => JSON.stringify(r)).join('\n') + '\n';
  await appendFile(join(runDir, RESULTS_FILE), lines);
}

export interface RunResults {
  results: QuestionResult[];
  done: Map<string, VideoDone>;
}

/** Reads a run's results.jsonl; a torn last line (a crash mid-write) is ignored along with its video. */
export async function readRun(runDir: string): Promise<RunResults> {
  let text = '';
  try {
    text = await readFile(join(runDir, RESULTS_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const results: QuestionResult[] = [];
  const done = new Map<string, VideoDone>();
  const pending: QuestionResult[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const marker = doneSchema.safeParse(value);
    if (marker.success) {
      done.set(marker.data.done, marker.data);
      results.push(...pending.filter((r) => r.videoId === marker.data.done));
      pending.length = 0;
      continue;
    }
    const result = resultSchema.safeParse(value);
    if (result.success) pending.push(result.data);
  }
  return { results, done };
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

/**
 * The paper's layout: one row per run, Accuracy / Coverage / Precision per column (overall, then each question
 * type), followed by the 95% intervals of the overall figures.
 */
export function markdownTable(runs: { name: string; summary: Summary }[]): string {
  const types = [...new Set(runs.flatMap((r) => [...r.summary.byType.keys()]))].sort();
  const header = `| Method | Overall (n) | ${types.join(' | ')} |`;
  const rule = `|---|---|${types.map(() => '---').join('|')}|`;
  const rows = runs.map(({ name, summary }) => {
    const perType = types.map((t) => {
      const m = summary.byType.get(t);
      return m ? cell(m) : '—';
    });
    return `| ${name} | ${cell(summary.overall)} (${summary.overall.questions}) | ${perType.join(' | ')} |`;
  });
  const intervals = runs.map(
    ({ name, summary }) =>
      `- ${name}: Accuracy ${formatProportion(summary.overall.accuracy)}, Coverage ${formatProportion(summary.overall.coverage)}, Precision ${formatProportion(summary.overall.precision)}`,
  );
  return [`Accuracy / Coverage / Precision (%)`, '', header, rule, ...rows, '', '95% Wilson intervals:', ...intervals, ''].join('\n');
}

/** A bar chart of the three metrics per run with 95% interval whiskers, as standalone SVG. */
export function svgChart(runs: { name: string; summary: Summary }[]): string {
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
