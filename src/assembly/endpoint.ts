import type { Logger } from '../log.js';
import { redactCredentials } from '../text/redactCredentials.js';

/**
 * Whether anything answers at an OpenAI-compatible base URL: any HTTP reply to `GET <url>/models` (even 401 or
 * 404) means reachable; a refused connection, an unknown host or no reply within `timeoutMs` means unreachable.
 */
export async function probeEndpoint(
  baseURL: string,
  { timeoutMs = 5000 }: { timeoutMs?: number } = {},
): Promise<{ reachable: true } | { reachable: false; reason: string }> {
  let url: URL;
  try {
    url = new URL(`${baseURL.replace(/\/+$/, '')}/models`);
  } catch {
    return { reachable: false, reason: `"${redactCredentials(baseURL)}" is not a URL` };
  }
  // Any reply counts, an authentication error too: the credentials of the URL are not needed (nor allowed by fetch).
  url.username = '';
  url.password = '';
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { reachable: true };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
      return { reachable: false, reason: `no reply within ${timeoutMs / 1000} s` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { reachable: false, reason: cause?.code ?? cause?.message ?? String(error) };
  }
}

/** The policy endpoint is configured, does not answer, and nothing may write memories in its place. */
export class EndpointUnreachableError extends Error {
  override name = 'EndpointUnreachableError';
}

/**
 * What an offline run (`taskmem ingest`, `remember`, the demo) does about the policy endpoint before it writes
 * anything: none configured, or it answers: null. It does not answer: with `memorizer.fallback` the perception
 * memorizer writes the segments until it does, and the reason is returned (and logged); without, an
 * EndpointUnreachableError says so and what to do, `hint` by default.
 */
export async function checkEndpoint(
  memorizer: { url: string; fallback: boolean },
  { logger, hint = 'start it, or allow the fallback memorizer with --memorizer.fallback true' }: { logger: Logger; hint?: string },
): Promise<string | null> {
  if (!memorizer.url) return null;
  const reach = await probeEndpoint(memorizer.url);
  if (reach.reachable) return null;
  const endpoint = redactCredentials(memorizer.url);
  if (!memorizer.fallback) throw new EndpointUnreachableError(`the policy endpoint ${endpoint} is unreachable (${reach.reason}); ${hint}`);
  logger.warn(
    `the policy endpoint ${endpoint} is unreachable (${reach.reason}); segments are written by the perception memorizer while it stays down`,
  );
  return reach.reason;
}
