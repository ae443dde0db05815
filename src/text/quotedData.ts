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

/**
 * Every form in which `text` is stored where a record quotes it: as it is, as a JSON string's content, as quoted
 * data (quoteJson), and each of those inside a JSON document stored as a string (a stored request). A record
 * quotes `text` when it holds one of them.
 */
export function quotedForms(text: string): string[] {
  const json = JSON.stringify(text).slice(1, -1);
  const quoted = quoteJson(text).slice(1, -1);
  const forms = new Set([text, json, quoted]);
  for (const form of [...forms]) forms.add(JSON.stringify(form).slice(1, -1));
  return [...forms];
}
