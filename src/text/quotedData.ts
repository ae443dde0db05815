/**
 * Text from the world (memories, transcripts, questions people asked) reaches a model only as quoted data: one
 * JSON value between an opening line `<name>` and a closing line `</name>`, with the instruction, in the prompt's
 * own text, to read it as data. `<`, `>` and `&` inside are written as JSON \u escapes, so no quoted text can close
 * the block or open a fake one, while JSON.parse still gives back the exact text.
 */
export function quotedBlock(name: string, value: unknown): string {
  return `<${name}>\n${quoteJson(value)}\n</${name}>`;
}

/** `value` as indented JSON with no `<`, `>` or `&` characters (see quotedBlock). */
export function quoteJson(value: unknown): string {
  return JSON.stringify(value, null, 1).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
