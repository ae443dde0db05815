import { z } from 'zod';
import { approximateTokens } from './approximateTokens.js';

/** The JSON the policy must answer with: exactly one key, a non-empty description. */
export const memoryReplySchema = z.object({ description: z.string().trim().min(1) }).strict();

/** One choice of a policy reply as it came over the wire. */
export interface PolicyReply {
  content: string | null;
  /** Thinking the server split off the content itself (vLLM with a reasoning parser), if any. */
  reasoning: string | null;
  /** 'stop', 'length' (cut off at max_tokens), …; null when the server did not say. */
  finishReason: string | null;
}

export type ParsedReply =
  | {
      ok: true;
      description: string;
      thinkingTokens: number;
      descriptionTokens: number;
      /** What had to be repaired to read the reply, e.g. "code fence", "trailing comma"; empty when it was clean. */
      repairs: string[];
    }
  | {
      ok: false;
      /** Why the reply breaks the contract, in words fit for a log line and a failure record. */
      reason: string;
      thinkingTokens: number;
      /** Known when the description could be read but was too long. */
      descriptionTokens: number | null;
      repairs: string[];
    };

export interface OutputContractOptions {
  /** Longest thinking accepted, approximate tokens (the method's format reward: 6400). */
  maxThinkingTokens?: number;
  /** Longest description accepted, approximate tokens (the method's format reward: 300). */
  maxDescriptionTokens?: number;
}

/**
 * The policy's output contract: optional thinking closed by `</think>`, then a JSON object that
 * `memoryReplySchema` accepts. `parse` reads a reply into a description or says why it cannot, repairing what a
 * model commonly gets wrong when the meaning is still certain: a code fence or prose around the JSON, trailing
 * commas, single quotes, unquoted keys, raw newlines in the string, and an ending cut off after a complete
 * sentence. Token counts are approximate (see `approximateTokens`).
 */
export class OutputContract {
  readonly maxThinkingTokens: number;
  readonly maxDescriptionTokens: number;

  constructor({ maxThinkingTokens = 6400, maxDescriptionTokens = 300 }: OutputContractOptions = {}) {
    this.maxThinkingTokens = maxThinkingTokens;
    this.maxDescriptionTokens = maxDescriptionTokens;
  }

  /** The response_format that constrains a server's decoding to the contract's JSON (no thinking possible). */
  static responseFormat() {
    return {
      type: 'json_schema' as const,
      json_schema: { name: 'memory', strict: true, schema: z.toJSONSchema(memoryReplySchema) as Record<string, unknown> },
    };
  }

  parse(reply: PolicyReply): ParsedReply {
    const repairs: string[] = [];
    const content = reply.content ?? '';
    let thinking = reply.reasoning ?? '';
    let answer = content;
    const close = content.lastIndexOf('</think>');
    if (close >= 0) {
      // Qwen3 thinking templates open <think> in the prompt, so the reply may hold only the closing tag.
      thinking += content.slice(0, close).replace(/^\s*<think>/, '');
      answer = content.slice(close + '</think>'.length);
    } else if (/<think>/.test(content)) {
      return fail(`thinking never closed with </think>${cutOff(reply)}`, approximateTokens(content), null, repairs);
    }
    const thinkingTokens = approximateTokens(thinking);
    if (thinkingTokens > this.maxThinkingTokens) {
      return fail(`thinking too long: about ${thinkingTokens} tokens, at most ${this.maxThinkingTokens}`, thinkingTokens, null, repairs);
    }

    const fenced = /```(?:json)?\s*([\s\S]*?)(?:```|$)/.exec(answer);
    if (fenced) {
      repairs.push('code fence');
      answer = fenced[1]!;
    }
    const open = answer.indexOf('{');
    if (open < 0) {
      const what = answer.trim() === '' ? 'no answer' : 'no JSON object in the answer';
      return fail(`${what}${cutOff(reply)}`, thinkingTokens, null, repairs);
    }
    if (answer.slice(0, open).trim() !== '') repairs.push('text before the JSON');

    const scanned = normalizeObject(answer.slice(open));
    repairs.push(...scanned.repairs);
    if ('error' in scanned) return fail(`${scanned.error}${cutOff(reply)}`, thinkingTokens, null, repairs);
    if (answer.slice(open + scanned.consumed).trim() !== '') repairs.push('text after the JSON');

    let value: unknown;
    try {
      value = JSON.parse(scanned.json);
    } catch (error) {
      return fail(`invalid JSON: ${(error as Error).message}`, thinkingTokens, null, repairs);
    }
    const parsed = memoryReplySchema.safeParse(value);
    if (!parsed.success) return fail(schemaReason(value), thinkingTokens, null, repairs);

    const description = parsed.data.description;
    const descriptionTokens = approximateTokens(description);
    if (descriptionTokens > this.maxDescriptionTokens) {
      return fail(
        `description too long: about ${descriptionTokens} tokens, at most ${this.maxDescriptionTokens}`,
        thinkingTokens,
        descriptionTokens,
        repairs,
      );
    }
    return { ok: true, description, thinkingTokens, descriptionTokens, repairs: [...new Set(repairs)] };
  }
}

function fail(reason: string, thinkingTokens: number, descriptionTokens: number | null, repairs: string[]): ParsedReply {
  return { ok: false, reason, thinkingTokens, descriptionTokens, repairs: [...new Set(repairs)] };
}

function cutOff(reply: PolicyReply): string {
  return reply.finishReason === 'length' ? ' (the reply was cut off at max_tokens)' : '';
}

function schemaReason(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the JSON is not an object';
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'description') {
    return `the JSON has keys [${keys.join(', ')}]; the contract wants exactly one key "description"`;
  }
  const description = (value as { description: unknown }).description;
  return typeof description === 'string'
    ? 'the description is empty'
    : `the description is a ${description === null ? 'null' : typeof description}, not a string`;
}

/** A description cut off after a full sentence can be closed; one cut off mid-sentence cannot be trusted. */
const COMPLETE_ENDING = /[.!?…]["'”’)]*\s*$/;

type Scan = { json: string; consumed: number; repairs: string[] } | { error: string; repairs: string[] };

/**
 * Reads a JSON-like object starting at text[0] === '{' into strict JSON, up to its matching closing brace.
 * Single-quoted strings become double-quoted, unquoted keys are quoted, trailing commas and raw control
 * characters in strings are fixed, and an object cut off at the end is closed when its last string ends a
 * sentence (or was already closed).
 */
function normalizeObject(text: string): Scan {
  const repairs: string[] = [];
  const closers: string[] = [];
  let out = '';
  let quote: '"' | "'" | null = null;
  let stringStart = 0;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (escaped) {
        escaped = false;
        out += quote === "'" && c === "'" ? "'" : `\\${c}`;
      } else if (c === '\\') {
        escaped = true;
      } else if (c === quote) {
        quote = null;
        out += '"';
      } else if (c === '"') {
        out += '\\"';
      } else if (c === '\n' || c === '\r' || c === '\t') {
        repairs.push('raw control character in a string');
        out += c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t';
      } else {
        out += c;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      if (c === "'") repairs.push('single quotes');
      quote = c;
      stringStart = out.length + 1;
      out += '"';
    } else if (c === '{' || c === '[') {
      closers.push(c === '{' ? '}' : ']');
      out += c;
    } else if (c === '}' || c === ']') {
      out = dropTrailingComma(out, repairs);
      if (closers.pop() !== c) return { error: `unbalanced "${c}" in the JSON`, repairs };
      out += c;
      if (closers.length === 0) return { json: out, consumed: i + 1, repairs };
    } else if (closers.at(-1) === '}' && /[A-Za-z_$]/.test(c) && /[{,]\s*$/.test(out)) {
      const key = /^[A-Za-z_$][\w$]*/.exec(text.slice(i))![0];
      if (!/^\s*:/.test(text.slice(i + key.length))) return { error: `unexpected "${key}" in the JSON`, repairs };
      repairs.push('unquoted key');
      out += `"${key}"`;
      i += key.length - 1;
    } else {
      out += c;
    }
  }
  // The reply ended inside the object.
  if (quote) {
    if (escaped || !COMPLETE_ENDING.test(out.slice(stringStart)))
      return { error: 'the reply ends in the middle of the description', repairs };
    out += '"';
  }
  out = dropTrailingComma(out, repairs);
  if (/[:{[]\s*$/.test(out) && !/^\{\s*$/.test(out)) return { error: 'the reply ends before a value', repairs };
  repairs.push('closed a cut-off ending');
  return { json: out + closers.reverse().join(''), consumed: text.length, repairs };
}

function dropTrailingComma(out: string, repairs: string[]): string {
  const trimmed = out.trimEnd();
  if (!trimmed.endsWith(',')) return out;
  repairs.push('trailing comma');
  return trimmed.slice(0, -1);
}
