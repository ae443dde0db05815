import OpenAI from 'openai';
import { ReplyLimitError } from '../endpoint/ModelClient.js';

/** Why texts could not be embedded, in the terms a log line, a diagnostics key and a retry decision need. */
export interface EmbeddingFailure {
  /**
   * A short key: `unreachable` (no connection), `timeout` (no complete reply in time), `http_<status>`,
   * `bad_reply` (not the vectors asked for), `cancelled` (the caller stopped), `error` (anything else, e.g. the
   * ONNX runtime's).
   */
  cause: string;
  /** What happened, in words. */
  detail: string;
  /** The endpoint refused these texts (HTTP 400, 413, 422): sending them again as they are fails again. */
  refused: boolean;
}

const REFUSED_STATUSES = new Set([400, 413, 422]);

/**
 * The failure `error` of an EmbeddingSource#embed call stands for. `cancelled` is the caller's own signal;
 * `deadline` is the time budget the caller gave the call, whose expiry is a timeout.
 */
export function embeddingFailure(
  error: unknown,
  { cancelled, deadline }: { cancelled?: AbortSignal | undefined; deadline?: AbortSignal | undefined } = {},
): EmbeddingFailure {
  const message = error instanceof Error ? error.message : String(error);
  const failure = (cause: string, detail = message, refused = false): EmbeddingFailure => ({ cause, detail, refused });
  if (cancelled?.aborted) return failure('cancelled', 'cancelled');
  if (deadline?.aborted) return failure('timeout', 'no reply within the time given to embedding');
  if (error instanceof ReplyLimitError) return failure(error.limit === 'time' ? 'timeout' : 'bad_reply');
  if (error instanceof OpenAI.APIConnectionTimeoutError) return failure('timeout', 'no reply within the timeout');
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = (error as { cause?: unknown }).cause;
    return failure('unreachable', `cannot connect (${cause instanceof Error ? cause.message : message})`);
  }
  if (error instanceof OpenAI.APIError && typeof error.status === 'number')
    return failure(`http_${error.status}`, `HTTP ${error.status}: ${message}`, REFUSED_STATUSES.has(error.status));
  if (error instanceof SyntaxError) return failure('bad_reply', `the reply is not valid JSON (${message})`);
  if (error instanceof Error && error.message.startsWith('OpenAIEmbeddingSource')) return failure('bad_reply');
  return failure('error');
}
