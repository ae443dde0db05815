import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * A stand-in for a vLLM server speaking the OpenAI HTTP protocol on loopback. It is not a model: tests say what
 * it replies (`onChat`, `onEmbeddings`, `onTranscription`, which may throw a StandInReplyError) and how it
 * misbehaves (`failNext`, on every route or one). Requests are checked against the protocol's shape and rejected
 * with 400 like a real server when malformed, and every request is recorded for assertions.
 */

const contentPart = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string().regex(/^data:image\/(jpeg|png);base64,/) }) }),
]);

export const chatRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z
      .array(
        z.object({
          role: z.enum(['system', 'user', 'assistant']),
          content: z.union([z.string(), z.array(contentPart)]),
        }),
      )
      .min(1),
    n: z.number().int().min(1).optional(),
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    top_k: z.number().optional(),
    max_tokens: z.number().int().optional(),
    max_completion_tokens: z.number().int().optional(),
    response_format: z.unknown().optional(),
    stream: z.literal(false).optional(),
  })
  .passthrough();

export type ChatRequest = z.infer<typeof chatRequestSchema>;

const embeddingsRequestSchema = z
  .object({
    model: z.string(),
    input: z.union([z.string(), z.array(z.string())]),
  })
  .passthrough();
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

export interface TranscriptionRequest {
  model: string;
  language: string | null;
  audio: Buffer;
  filename: string;
}

/**
 * How the next requests go wrong. `oversized`: the normal reply padded with JSON whitespace to `bytes` (still the
 * same, valid reply), sent with a Content-Length header or, `chunked`, without one; `endless`: a reply that opens
 * its JSON object and then sends whitespace forever, 64 KiB every `intervalMs` (0: as fast as the client reads),
 * until the client closes the connection; `choices`: a chat reply whose `choices` array is the given JSON value
 * instead (e.g. `[null]`).
 */
export type Fault =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'hang' }
  | { kind: 'late'; delayMs: number }
  | { kind: 'malformed' }
  | { kind: 'truncated' }
  | { kind: 'oversized'; bytes: number; chunked?: boolean }
  | { kind: 'endless'; intervalMs?: number }
  | { kind: 'choices'; choices: unknown };

/** The routes of the protocol the stand-in serves; a fault may be aimed at one of them. */
export type Route = 'chat' | 'embeddings' | 'transcriptions';

const ROUTES: Record<string, Route> = {
  '/v1/chat/completions': 'chat',
  '/v1/embeddings': 'embeddings',
  '/v1/audio/transcriptions': 'transcriptions',
};

/**
 * Thrown by a handler (`onChat`, `onEmbeddings`, `onTranscription`) to reply with this HTTP status and an OpenAI
 * error body, e.g. a 400 for one input a real server finds too long.
 */
export class StandInReplyError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface RecordedRequest {
  path: string;
  body: unknown;
  headers: IncomingMessage['headers'];
}

/** A choice with more than its content: thinking split off as a reasoning parser does, or another finish reason. */
export interface ChatChoice {
  content: string | null;
  reasoning_content?: string;
  finish_reason?: 'stop' | 'length';
}

/** A chat reply: one entry per choice (the message content, or a ChatChoice), or one string for every requested choice. */
export type ChatReply = string | (string | ChatChoice)[];

export class StandInModelServer {
  onChat: (request: ChatRequest) => ChatReply | Promise<ChatReply> = () => '{"description": "stand-in"}';
  onEmbeddings: (request: EmbeddingsRequest) => number[][] | Promise<number[][]> = (r) =>
    (typeof r.input === 'string' ? [r.input] : r.input).map(() => [0, 0, 0, 1]);
  onTranscription: (request: TranscriptionRequest) => string | Promise<string> = () => '';
  readonly requests: RecordedRequest[] = [];

  #server: Server;
  /** Faults not yet used, in order; one with a route waits for a request on that route. */
  #faults: { fault: Fault; route: Route | null }[] = [];
  #hanging = new Set<ServerResponse>();
  #endlessReplies = new Set<ServerResponse>();
  /** Bytes of reply bodies written so far, endless ones included: what a client was made to receive. */
  bytesSent = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        const status = error instanceof StandInReplyError ? error.status : 500;
        const message = error instanceof StandInReplyError ? error.message : String(error);
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message, type: status < 500 ? 'invalid_request_error' : 'internal_error' } }));
      });
    });
  }

  /** Starts listening on 127.0.0.1 at an ephemeral port. */
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Base URL to give an OpenAI client, ending in /v1. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /**
   * The next `times` requests fail this way, in order, before normal replies resume; with `route`, only requests
   * on that route (e.g. the embeddings endpoint down while chat still answers).
   */
  failNext(fault: Fault, times = 1, route: Route | null = null): void {
    for (let i = 0; i < times; i++) this.#faults.push({ fault, route });
  }

  /** Faults not yet used (of `route`, when given). */
  faultsLeft(route: Route | null = null): number {
    return this.#faults.filter((f) => route === null || f.route === route).length;
  }

  /** Forgets the faults not yet used: the next requests are answered normally. */
  clearFaults(): void {
    this.#faults = [];
  }

  /** Endless replies still being written: a client that stopped reading but kept the connection open. */
  get endlessOpen(): number {
    return this.#endlessReplies.size;
  }

  chatRequests(): ChatRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body as ChatRequest);
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, { object: 'list', data: [{ id: 'stand-in', object: 'model' }] });
    }
    const contentType = req.headers['content-type'] ?? '';
    const body: unknown = contentType.startsWith('application/json') ? safeJson(raw) : null;
    this.requests.push({ path, body: body ?? { multipart: true }, headers: req.headers });

    const route = ROUTES[path] ?? null;
    const next = this.#faults.findIndex((f) => f.route === null || f.route === route);
    const fault = next === -1 ? undefined : this.#faults.splice(next, 1)[0]!.fault;
    if (fault?.kind === 'hang') {
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
      return;
    }
    if (fault?.kind === 'status') {
      return json(res, fault.status, { error: { message: fault.body ?? `stand-in fault ${fault.status}`, type: 'server_error' } });
    }
    if (fault?.kind === 'late') await new Promise((r) => setTimeout(r, fault.delayMs));

    let payload: unknown;
    if (path === '/v1/chat/completions') {
      const parsed = chatRequestSchema.safeParse(body);
      if (!parsed.success)
        return json(res, 400, { error: { message: `invalid request: ${parsed.error.message}`, type: 'invalid_request_error' } });
      const reply = await this.onChat(parsed.data);
      const n = parsed.data.n ?? 1;
      const choices = (typeof reply === 'string' ? Array.from({ length: n }, () => reply) : reply).map((c): ChatChoice =>
        typeof c === 'string' ? { content: c } : c,
      );
      const contents = choices.map((c) => `${c.reasoning_content ?? ''}${c.content ?? ''}`);
      payload = {
        id: `chatcmpl-${this.requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: parsed.data.model,
        choices: choices.map(({ content, reasoning_content, finish_reason = 'stop' }, index) => ({
          index,
          finish_reason,
          message: { role: 'assistant', content, ...(reasoning_content === undefined ? {} : { reasoning_content }) },
        })),
        usage: usage(parsed.data, contents),
      };
    } else if (path === '/v1/embeddings') {
      const parsed = embeddingsRequestSchema.safeParse(body);
      if (!parsed.success) return json(res, 400, { error: { message: 'invalid request', type: 'invalid_request_error' } });
      const vectors = await this.onEmbeddings(parsed.data);
      payload = {
        object: 'list',
        model: parsed.data.model,
        data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
        usage: { prompt_tokens: 1, total_tokens: 1 },
      };
    } else if (path === '/v1/audio/transcriptions') {
      const form = parseMultipart(raw, contentType);
      const audio = form.files.get('file');
      const model = form.fields.get('model');
      if (!audio || !model) return json(res, 400, { error: { message: 'file and model are required', type: 'invalid_request_error' } });
      this.requests.at(-1)!.body = { model, language: form.fields.get('language') ?? null, bytes: audio.data.length };
      const text = await this.onTranscription({
        model,
        language: form.fields.get('language') ?? null,
        audio: audio.data,
        filename: audio.filename,
      });
      payload = { text };
    } else {
      return json(res, 404, { error: { message: `no route ${path}`, type: 'not_found' } });
    }

    if (fault?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"choices": [ this is not json');
      return;
    }
    if (fault?.kind === 'truncated') {
      const text = JSON.stringify(payload);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      res.destroy();
      return;
    }
    if (fault?.kind === 'choices') return this.#json(res, 200, { ...(payload as object), choices: fault.choices });
    if (fault?.kind === 'oversized') {
      // JSON allows any amount of whitespace between tokens: the padded body is still the same reply.
      const text = JSON.stringify(payload);
      const body = `{${' '.repeat(Math.max(0, fault.bytes - text.length))}${text.slice(1)}`;
      res.writeHead(200, { 'content-type': 'application/json', ...(fault.chunked ? {} : { 'content-length': Buffer.byteLength(body) }) });
      this.bytesSent += Buffer.byteLength(body);
      res.end(body);
      return;
    }
    if (fault?.kind === 'endless') return this.#endless(res, fault.intervalMs ?? 0);
    this.#json(res, 200, payload);
  }

  #json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    this.bytesSent += Buffer.byteLength(text);
    json(res, status, body);
  }

  /** The start of a JSON reply (`{`), then whitespace forever, until the client goes away. */
  #endless(res: ServerResponse, intervalMs: number): void {
    this.#hanging.add(res);
    this.#endlessReplies.add(res);
    res.on('close', () => {
      this.#hanging.delete(res);
      this.#endlessReplies.delete(res);
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{');
    this.bytesSent += 1;
    const piece = ' '.repeat(64 * 1024);
    const more = () => {
      if (res.destroyed || res.writableEnded) return;
      this.bytesSent += piece.length;
      const room = res.write(piece);
      if (intervalMs > 0) setTimeout(more, intervalMs);
      else if (room) setImmediate(more);
      else res.once('drain', more);
    };
    more();
  }
}

function usage(request: ChatRequest, contents: string[]) {
  const promptChars = JSON.stringify(request.messages).length;
  const completion = contents.reduce((sum, c) => sum + Math.ceil(c.length / 4), 0);
  return {
    prompt_tokens: Math.ceil(promptChars / 4),
    completion_tokens: completion,
    total_tokens: Math.ceil(promptChars / 4) + completion,
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function safeJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Minimal multipart/form-data reader for the transcription route. */
function parseMultipart(raw: Buffer, contentType: string) {
  const fields = new Map<string, string>();
  const files = new Map<string, { filename: string; data: Buffer }>();
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) return { fields, files };
  const delimiter = Buffer.from(`--${boundary}`);
  let position = raw.indexOf(delimiter);
  while (position !== -1) {
    const next = raw.indexOf(delimiter, position + delimiter.length);
    if (next === -1) break;
    const part = raw.subarray(position + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const data = part.subarray(headerEnd + 4);
      const name = /name="([^"]*)"/.exec(headers)?.[1];
      const filename = /filename="([^"]*)"/.exec(headers)?.[1];
      if (name !== undefined) {
        if (filename !== undefined) files.set(name, { filename, data: Buffer.from(data) });
        else fields.set(name, data.toString('utf8'));
      }
    }
    position = next;
  }
  return { fields, files };
}
