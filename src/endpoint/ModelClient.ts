import OpenAI from 'openai';
import { redactCredentials } from '../text/redactCredentials.js';

type FetchWithTimeout = OpenAI['fetchWithTimeout'];

export interface ModelClientOptions {
  /**
   * OpenAI-compatible base URL, ending in /v1. Credentials in it (`http://user:password@proxy/v1`) are sent as
   * HTTP Basic authentication, never inside a request URL, and are redacted wherever the URL is shown.
   */
  url: string;
  /** null: no API key (a vLLM started without --api-key); with credentials in the URL, they authenticate instead. */
  apiKey: string | null;
  /** Time for one request, reply body included. */
  timeoutMs: number;
  /** The openai client's own retries; 0 when the caller retries and classifies every failure itself. */
  maxRetries: number;
  /** model_reply_max_mb: a reply body larger than this many MiB is not read. */
  maxReplyMb: number;
}

/** A reply the client stopped reading: larger than the cap (`size`), or still coming when the time ran out (`time`). */
export class ReplyLimitError extends Error {
  override name = 'ReplyLimitError';
  readonly limit: 'size' | 'time';

  constructor(limit: 'size' | 'time', message: string) {
    super(message);
    this.limit = limit;
  }
}

/** Statuses whose responses have no body by definition. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The openai client through which taskmem reaches every model endpoint (policy, pairwise judge, answerer,
 * transcriber, embeddings, task classifier), with three guards the plain client lacks:
 *
 * - A reply body is read as a stream and abandoned, its connection closed, as soon as it passes
 *   `maxReplyBytes`; a declared Content-Length above the cap is refused before reading. The plain client buffers
 *   whatever comes, so one huge or endless reply could take the process's memory.
 * - The timeout covers the body too: the plain client's stops when the headers arrive, so a body that trickles
 *   forever would hang the request.
 * - A caller's AbortSignal is linked to the request only while the request runs. The plain client adds a listener
 *   to it for every request and never removes it: a long-lived signal (a pipeline's) would collect one per request.
 *
 * Errors from the guards reach the caller as `ReplyLimitError` (size, time), or as the abort of its own signal.
 */
export class ModelClient extends OpenAI {
  /** The base URL without credentials, for messages. */
  readonly endpoint: string;
  readonly #maxReplyMb: number;

  constructor({ url, apiKey, timeoutMs, maxRetries, maxReplyMb }: ModelClientOptions) {
    const { baseURL, basic } = splitCredentials(url);
    if (basic !== null && apiKey !== null) {
      throw new Error(
        `${redactCredentials(url)}: the URL carries credentials and an API key is set too; only one can be sent (one Authorization header): drop the credentials from the URL or unset the key`,
      );
    }
    super({
      baseURL,
      // The openai client insists on a key; without one the Authorization header is replaced or removed instead.
      apiKey: apiKey ?? 'none',
      ...(apiKey === null ? { defaultHeaders: { Authorization: basic === null ? null : `Basic ${basic}` } } : {}),
      timeout: timeoutMs,
      maxRetries,
    });
    this.endpoint = baseURL;
    this.#maxReplyMb = maxReplyMb;
  }

  override async fetchWithTimeout(...[url, init, ms, controller]: Parameters<FetchWithTimeout>): ReturnType<FetchWithTimeout> {
    const { signal: caller, ...rest } = init ?? {};
    const forward = () => controller.abort();
    if (caller?.aborted) controller.abort();
    else caller?.addEventListener('abort', forward, { once: true });
    const unlink = () => caller?.removeEventListener('abort', forward);
    const deadline = Date.now() + ms;
    let response: Response;
    try {
      response = await super.fetchWithTimeout(url, rest, ms, controller);
    } catch (error) {
      unlink();
      throw error;
    }
    if (response.body === null || NULL_BODY_STATUSES.has(response.status)) {
      unlink();
      return response;
    }
    return new Response(this.#guardedBody(response.body, response.headers, { deadline, ms, controller, done: unlink }), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /** The body, read through the size cap and the deadline; `done` runs once, when it ends in any way. */
  #guardedBody(
    body: ReadableStream<Uint8Array>,
    headers: Headers,
    { deadline, ms, controller, done }: { deadline: number; ms: number; controller: AbortController; done: () => void },
  ): ReadableStream<Uint8Array> {
    const limit = Math.round(this.#maxReplyMb * 2 ** 20);
    const tooLarge = (bytes: string) =>
      new ReplyLimitError(
        'size',
        `${this.endpoint}: the reply is larger than model_reply_max_mb = ${this.#maxReplyMb} MB (${bytes}); it was not read further`,
      );
    const reader = body.getReader();
    let received = 0;
    let expired: ReplyLimitError | null = null;
    let finished = false;
    const timer = setTimeout(
      () => {
        expired = new ReplyLimitError('time', `${this.endpoint}: the reply was still coming after the timeout (${ms / 1000} s)`);
        controller.abort();
      },
      Math.max(0, deadline - Date.now()),
    );
    // A request nobody reads further must not keep the process alive for the rest of its timeout.
    timer.unref();
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done();
    };
    const abandon = (stream: ReadableStreamDefaultController<Uint8Array>, error: unknown) => {
      finish();
      reader.cancel(error).catch(() => {});
      stream.error(error);
    };
    const declared = Number(headers.get('content-length'));
    return new ReadableStream<Uint8Array>({
      start(stream) {
        if (declared > limit) abandon(stream, tooLarge(`${declared} bytes declared`));
      },
      async pull(stream) {
        try {
          const { done: ended, value } = await reader.read();
          if (ended) {
            finish();
            stream.close();
            return;
          }
          received += value.byteLength;
          if (received > limit) abandon(stream, tooLarge(`${received} bytes received so far`));
          else stream.enqueue(value);
        } catch (error) {
          finish();
          stream.error(expired ?? error);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    });
  }
}

/** The base URL without its userinfo, and the userinfo as the value of a Basic Authorization header (null: none). */
function splitCredentials(url: string): { baseURL: string; basic: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { baseURL: url, basic: null };
  }
  if (parsed.username === '' && parsed.password === '') return { baseURL: url, basic: null };
  const userinfo = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { baseURL: parsed.toString(), basic: Buffer.from(userinfo).toString('base64') };
}
