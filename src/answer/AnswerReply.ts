import { z } from 'zod';
import { INSUFFICIENT, optionLetters } from './AnswerPrompt.js';

const answerSchema = z.object({
  answer: z.union([z.string(), z.number()]).transform(String),
  abstained: z.boolean().nullish(),
  confidence: z.number().min(0).max(1).nullish(),
  evidence: z.array(z.union([z.string(), z.number()]).transform(String)).nullish(),
});

const searchSchema = z.object({
  search: z.object({
    text: z.string().nullish(),
    since: z.string().nullish(),
    until: z.string().nullish(),
  }),
});

export type AnswerReply =
  | {
      kind: 'answer';
      /** For multiple choice, the chosen option's text; empty when abstained. */
      answer: string;
      abstained: boolean;
      /** null when the model did not state one. */
      confidence: number | null;
      evidence: string[];
      /** -1 for free form or abstained. */
      chosenIndex: number;
      choice: string | null;
    }
  | { kind: 'search'; text: string; since: string | null; until: string | null }
  | { kind: 'invalid'; reason: string };

/**
 * Reads a model's answering reply: thinking is dropped, the last JSON object that is an answer or a search
 * request is taken. For multiple choice the letter comes from that final answer ("B", "(B)", "B. red cup",
 * "the answer is B", or an option's exact text), never from the first character of the reply; the abstain
 * letter, "abstained": true, or "Insufficient information" abstain. A reply with no JSON is still read for a
 * stated multiple-choice answer ("Answer: C"), with unknown confidence.
 */
export function parseAnswerReply(reply: string, choices: readonly string[]): AnswerReply {
  const final = afterThinking(reply);
  for (const candidate of jsonObjects(final).reverse()) {
    const search = searchSchema.safeParse(candidate);
    if (search.success) {
      const s = search.data.search;
      return { kind: 'search', text: s.text?.trim() ?? '', since: s.since?.trim() || null, until: s.until?.trim() || null };
    }
    const parsed = answerSchema.safeParse(candidate);
    if (parsed.success) {
      const a = parsed.data;
      return settle(a.answer, a.abstained ?? false, a.confidence ?? null, a.evidence ?? [], choices);
    }
  }
  if (choices.length > 0) {
    const stated = /\b[Aa]nswer\s*(?:is|:)?\s*[:-]?\s*\(?([A-Z])\)?(?!\w)/g;
    const last = [...final.matchAll(stated)].at(-1);
    if (last) return settle(last[1]!, false, null, [], choices);
  }
  return { kind: 'invalid', reason: final.trim() === '' ? 'the reply is empty' : 'the reply has no answer JSON object' };
}

function settle(text: string, abstained: boolean, confidence: number | null, evidence: string[], choices: readonly string[]): AnswerReply {
  const base = { kind: 'answer' as const, confidence, evidence };
  if (choices.length === 0) {
    const gaveUp = abstained || text.trim() === '' || new RegExp(`^\\W*${INSUFFICIENT}\\W*$`, 'i').test(text.trim());
    return gaveUp
      ? { ...base, answer: '', abstained: true, chosenIndex: -1, choice: null }
      : { ...base, answer: text.trim(), abstained: false, chosenIndex: -1, choice: null };
  }
  const { letters, abstain } = optionLetters(choices.length);
  const letter = choiceLetter(text, [...letters, abstain], choices);
  if (letter === null) {
    if (abstained) return { ...base, answer: '', abstained: true, chosenIndex: -1, choice: abstain };
    return { kind: 'invalid', reason: `the answer "${text}" names none of the options ${letters.join(', ')} or ${abstain}` };
  }
  if (abstained || letter === abstain) return { ...base, answer: '', abstained: true, chosenIndex: -1, choice: abstain };
  const index = letters.indexOf(letter);
  return { ...base, answer: choices[index]!, abstained: false, chosenIndex: index, choice: letter };
}

function choiceLetter(text: string, valid: string[], choices: readonly string[]): string | null {
  const t = text.trim();
  const lone = /^\W*([A-Za-z])\W*$/.exec(t);
  if (lone && valid.includes(lone[1]!.toUpperCase())) return lone[1]!.toUpperCase();
  const stated = [...t.matchAll(/\b(?:[Aa]nswer|[Oo]ption|[Cc]hoice)\s*(?:is|:)?\s*\(?([A-Z])\)?(?!\w)/g)].at(-1);
  if (stated && valid.includes(stated[1]!.toUpperCase())) return stated[1]!.toUpperCase();
  const leading = /^\(?([A-Z])[.):]\s/.exec(t);
  if (leading && valid.includes(leading[1]!)) return leading[1]!;
  const index = choices.findIndex((c) => c.trim().toLowerCase() === t.toLowerCase());
  return index >= 0 ? valid[index]! : null;
}

/** The reply after its reasoning: text after the last </think>, or the whole reply without <think> blocks. */
export function afterThinking(reply: string): string {
  const close = reply.lastIndexOf('</think>');
  return close >= 0 ? reply.slice(close + '</think>'.length) : reply.replace(/<think>[\s\S]*$/, '');
}

/** Every balanced top-level {...} in the text that parses as a JSON object, in order. */
export function jsonObjects(text: string): unknown[] {
  const found: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"' && depth > 0) inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        try {
          found.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          // not JSON: keep looking
        }
      }
    }
  }
  return found;
}
