import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/**
 * A prompt text with named slots written `{name}`. Only the slots the template was declared with are filled;
 * every other brace is kept as written, so a template may show a JSON example without escaping. A template read
 * from a file must contain its required slots, so that a misspelt slot is an error rather than a silently
 * missing memory or question.
 */
export class PromptTemplate {
  readonly text: string;
  /** Where it came from: "built-in <name>" or the file path. */
  readonly source: string;
  readonly #slots: readonly string[];

  constructor(text: string, slots: readonly string[], source: string) {
    this.text = text;
    this.#slots = slots;
    this.source = source;
  }

  /** Reads a template file; `required` slots must appear in it. */
  static async load(path: string, slots: readonly string[], required: readonly string[]): Promise<PromptTemplate> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new Error(`prompt ${path}: cannot read it: ${(error as Error).message}`, { cause: error });
    }
    const missing = required.filter((slot) => !text.includes(`{${slot}}`));
    if (missing.length > 0) {
      throw new Error(
        `prompt ${path}: it has no ${missing.map((s) => `{${s}}`).join(', ')}; its slots are ${slots.map((s) => `{${s}}`).join(', ')}`,
      );
    }
    return new PromptTemplate(text, slots, path);
  }

  /** The first 12 hex digits of the SHA-256 of the text: which prompt produced a result. */
  get hash(): string {
    return createHash('sha256').update(this.text).digest('hex').slice(0, 12);
  }

  /** The text with every declared slot replaced (a slot without a value becomes empty). */
  fill(values: Readonly<Record<string, string>>): string {
    return this.split(values, null)[0]!;
  }

  /**
   * The filled text cut at each occurrence of slot `at` (left unfilled), e.g. where images go between two
   * pieces of text. Without `at`, one piece.
   */
  split(values: Readonly<Record<string, string>>, at: string | null): string[] {
    if (this.#slots.length === 0) return [this.text];
    const pattern = new RegExp(`\\{(${this.#slots.map(escapeRegExp).join('|')})\\}`, 'g');
    const pieces: string[] = [''];
    let last = 0;
    for (const match of this.text.matchAll(pattern)) {
      pieces[pieces.length - 1] += this.text.slice(last, match.index);
      last = match.index + match[0].length;
      if (match[1] === at) pieces.push('');
      else pieces[pieces.length - 1] += values[match[1]!] ?? '';
    }
    pieces[pieces.length - 1] += this.text.slice(last);
    return pieces;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
