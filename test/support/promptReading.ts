import type { ChatRequest } from './StandInModelServer.js';

/** A chat request as text: each message's text (string content, or its text parts joined), images left out. */
export function requestText(request: ChatRequest): { system: string; user: string } {
  const text = (role: string) =>
    request.messages
      .filter((m) => m.role === role)
      .map((m) => (typeof m.content === 'string' ? m.content : m.content.map((p) => (p.type === 'text' ? p.text : '')).join('')))
      .join('\n');
  return { system: text('system'), user: text('user') };
}

/**
 * A request split the way a model reading it takes it: the quoted blocks `<name>` … `</name>` of the given names,
 * each ending at the first closing line of its name wherever that appears (so raw text holding a closing tag would
 * end its block early), and everything else — the system prompt and the user text outside the blocks — as the
 * instructions. Stand-in models built on it obey what their instructions say, as instruction-tuned models are
 * trained to, and read the blocks as data.
 */
export function readQuoted(request: ChatRequest, names: readonly string[]): { instructions: string; blocks: Map<string, string> } {
  const { system, user } = requestText(request);
  const blocks = new Map<string, string>();
  let outside = user;
  for (const name of names) {
    const open = outside.indexOf(`<${name}>`);
    if (open < 0) continue;
    const close = outside.indexOf(`</${name}>`, open);
    if (close < 0) continue;
    blocks.set(name, outside.slice(open + name.length + 2, close).trim());
    outside = `${outside.slice(0, open)}${outside.slice(close + name.length + 3)}`;
  }
  return { instructions: `${system}\n${outside}`, blocks };
}

/**
 * The request with `text` added to the user part outside any block: the position where an instruction-tuned
 * model takes text as instructions. For controls that show a stand-in obeys an injection once it gets there.
 */
export function withInstruction(request: ChatRequest, text: string): ChatRequest {
  const { system, user } = requestText(request);
  return {
    ...request,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: `${user}\n${text}` },
    ],
  };
}

/** The request with the content of block `name` replaced by `raw`, unquoted: what pasting text between the delimiters would send. */
export function withRawBlock(request: ChatRequest, name: string, raw: string): ChatRequest {
  const { system, user } = requestText(request);
  const open = user.indexOf(`<${name}>`);
  const close = user.indexOf(`</${name}>`, open);
  return {
    ...request,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: `${user.slice(0, open)}<${name}>\n${raw}\n${user.slice(close)}` },
    ],
  };
}
