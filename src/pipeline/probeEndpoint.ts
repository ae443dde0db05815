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
