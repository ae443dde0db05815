/**
 * Characters a terminal may act on instead of showing: C0 controls but tab and newline (ESC starts escape
 * sequences, CR and backspace overwrite what is shown, BEL rings), DEL, C1 controls (U+009B is a one-byte CSI),
 * the line and paragraph separators, and the bidirectional overrides that make text read other than it is stored.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is what this expression is for
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` made safe to print on a terminal: every character a terminal may act on is written as a `\uXXXX` escape,
 * visible and harmless (and still valid inside a JSON string). Memory text, transcripts, questions and model
 * replies come from cameras, microphones, remote users and models; printed raw, an escape code in them could
 * rewrite the screen or the window title. `newlines: false` escapes newlines too, for text printed inside one
 * line of a line-oriented output (a stored memory in `taskmem ingest`), where a newline would forge a line.
 */
export function terminalSafe(text: string, { newlines = true }: { newlines?: boolean } = {}): string {
  const escaped = text.replace(UNSAFE, escape);
  return newlines ? escaped : escaped.replace(/\n/g, escape);
}

function escape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
