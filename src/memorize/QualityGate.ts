import type { QualityScores } from '../memory/Memory.js';
import type { ParsedReply } from './OutputContract.js';

export interface GateResult {
  passed: boolean;
  /** Every rule the reply broke, in words; empty when it passed. */
  reasons: string[];
  scores: QualityScores;
}

export interface QualityGateOptions {
  /**
   * A clause of the candidate repeats a fact when at least this share of its content words appears in one clause
   * of a preceding description.
   */
  repetitionThreshold?: number;
  /** Clauses with fewer content words are too short to be a fact of their own and are not compared. */
  minClauseWords?: number;
  /** Descriptions with fewer words say nothing worth keeping. */
  minWords?: number;
}

/**
 * The method's quality gate without a judge: deterministic text checks, run on every candidate before it may
 * become a memory. Format (the output contract) and length first, then hygiene: no fact of the preceding
 * descriptions repeated, no bounding boxes or coordinates, no talk about the material ("the subtitles say",
 * "in this video", "based on previous videos"), no transcript-style speaker labels inside quotes, no opening
 * with "The video". Whether each statement is supported by the frames needs a judge with the images; that is
 * not checked here.
 */
export class QualityGate {
  readonly #repetitionThreshold: number;
  readonly #minClauseWords: number;
  readonly #minWords: number;

  constructor({ repetitionThreshold = 0.8, minClauseWords = 3, minWords = 3 }: QualityGateOptions = {}) {
    this.#repetitionThreshold = repetitionThreshold;
    this.#minClauseWords = minClauseWords;
    this.#minWords = minWords;
  }

  /** Checks a parsed reply against the preceding descriptions of its window. */
  check(reply: ParsedReply, preceding: string[]): GateResult {
    if (!reply.ok) {
      return {
        passed: false,
        reasons: [`format: ${reply.reason}`],
        scores: { format: false, hygiene: null, preference: null, descriptionTokens: reply.descriptionTokens ?? 0 },
      };
    }
    const text = reply.description;
    const reasons: string[] = [];
    const words = text.split(/\s+/).filter(Boolean).length;
    if (words < this.#minWords) reasons.push(`length: only ${words} word${words === 1 ? '' : 's'}`);
    if (/^\s*["'“]?\s*(the|this) video\b/i.test(text)) reasons.push('starts with "The video"');
    for (const [pattern, what] of FORBIDDEN) {
      const match = pattern.exec(text);
      if (match) reasons.push(`${what}: "${match[0]}"`);
    }
    if (SPEAKER_LABEL_IN_QUOTES.test(text)) reasons.push('transcript-style speaker label inside quotes');
    const repeated = this.#repeatedClause(text, preceding);
    if (repeated) reasons.push(`repeats a preceding fact: "${repeated}"`);
    const hygiene = reasons.length === 0;
    return { passed: hygiene, reasons, scores: { format: true, hygiene, preference: null, descriptionTokens: reply.descriptionTokens } };
  }

  #repeatedClause(text: string, preceding: string[]): string | null {
    const earlier = preceding
      .flatMap(clauses)
      .map(contentWords)
      .filter((w) => w.size > 0);
    for (const clause of clauses(text)) {
      const words = contentWords(clause);
      if (words.size < this.#minClauseWords) continue;
      for (const other of earlier) {
        let shared = 0;
        for (const w of words) if (other.has(w)) shared++;
        if (shared / words.size >= this.#repetitionThreshold) return clause;
      }
    }
    return null;
  }
}

/** Material talk, coordinates and cut-off endings the method's hygiene judge rejects. */
const FORBIDDEN: [RegExp, string][] = [
  [/\b(bounding[- ]box(es)?|bbox(es)?|coordinates?)\b/i, 'mentions bounding boxes or coordinates'],
  [/[[(]\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*(,\s*-?\d+(\.\d+)?\s*)*[\])]/, 'mentions bounding boxes or coordinates'],
  [/\b(subtitles?|captions? (say|says|read|reads|show|shows)|the transcript|transcription)\b/i, 'meta phrase'],
  [/\b(in|from|throughout|of) (this|the) (video|clip|footage|segment)\b/i, 'meta phrase'],
  [/\bthis (video|clip|footage|segment) (ends|begins|starts|shows|concludes)\b/i, 'meta phrase'],
  [/\bbased on (the )?(previous|preceding|earlier) (videos?|clips?|descriptions?|segments?)\b/i, 'meta phrase'],
  [/\b(previous|preceding|earlier) descriptions?\b/i, 'meta phrase'],
  [/\bkey ?frames?\b/i, 'meta phrase'],
  [/\b(is|gets|was) (cut off|truncated)\b|\b(ends|stops|cuts off) abruptly\b|(\.\.\.|…)\s*["'”’]?\s*$/i, 'describes a cut-off ending'],
];

/** A quote that opens with a speaker label, as in a transcript: "person_1: hello", 'Speaker 2: …'. */
const SPEAKER_LABEL_IN_QUOTES = /["“‘']\s*(<?\b(person|speaker|face|voice|user|unknown)\b[\s_-]?\d*>?|[a-z]+_\d+)\s*:/i;

/** Sentences split further at commas, semicolons and joining words: roughly one atomic fact each. */
function clauses(text: string): string[] {
  const joining = /^(?:and|while|then|but|as|after|before)\s+/i;
  return text
    .split(/[.!?;:,]+\s*|\s+(?:and|while|then|but|as|after|before)\s+/i)
    .map((c) => c.trim().replace(joining, ''))
    .filter((c) => c !== '');
}

const STOPWORDS = new Set(
  "a an the and or but of to in on at by for with from into onto over under up down out off is are was were be been being has have had do does did it its it's this that these those there here he she they them his her their him who whom which what while then as also still again now just very some any one another each other than so not no".split(
    ' ',
  ),
);

function contentWords(clause: string): Set<string> {
  const words = new Set<string>();
  for (const raw of clause.toLowerCase().match(/[\p{L}\p{N}_']+/gu) ?? []) {
    const word = raw.replace(/'s$/, '');
    if (!STOPWORDS.has(word)) words.add(stem(word));
  }
  return words;
}

/** Crude suffix stripping so "picks"/"picked"/"picking" compare equal. */
function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}
