import { strict as assert } from 'node:assert';
import { getEventListeners, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { ModelClient, ReplyLimitError } from './ModelClient.js';

const hello = { model: 'm', messages: [{ role: 'user' as const, content: 'hello' }] };
const MB = 2 ** 20;

describe('ModelClient', () => {
  let server: StandInModelServer;
  let client: ModelClient;
  beforeEach(async () => {
    server = await new StandInModelServer().start();
    client = new ModelClient({ url: server.url, apiKey: 'k', timeoutMs: 5000, maxRetries: 0, maxReplyMb: 1 });
  });
  afterEach(() => server.stop());

  it('reads a reply within the cap as the plain client does', async () => {
    server.failNext({ kind: 'oversized', bytes: 0.9 * MB, chunked: true });
    const reply = await client.chat.completions.create(hello);
    assert.equal(reply.choices[0]?.message.content, '{"description": "stand-in"}');
    assert.equal(server.requests.at(-1)!.headers.authorization, 'Bearer k');
  });

  it('refuses a reply whose declared length passes model_reply_max_mb, and one that grows past it while read', async () => {
    server.failNext({ kind: 'oversized', bytes: 3 * MB });
    await assert.rejects(
      client.chat.completions.create(hello),
      (e: unknown) =>
        e instanceof ReplyLimitError &&
        e.limit === 'size' &&
        /larger than model_reply_max_mb = 1 MB \(3145728 bytes declared\)/.test(e.message),
    );
    server.failNext({ kind: 'oversized', bytes: 3 * MB, chunked: true });
    await assert.rejects(
      client.chat.completions.create(hello),
      (e: unknown) => e instanceof ReplyLimitError && e.limit === 'size' && /bytes received so far/.test(e.message),
    );
    // The client is not left broken: the next reply is read.
    assert.equal((await client.chat.completions.create(hello)).choices.length, 1);
  });

  it('stops an endless reply at the cap and closes its connection, where the plain client would read on', async () => {
    server.failNext({ kind: 'endless' });
    await assert.rejects(client.chat.completions.create(hello), (e: unknown) => e instanceof ReplyLimitError && e.limit === 'size');
    await until(() => server.endlessOpen === 0, 'the server saw the connection close');
    const sent = server.bytesSent;
    assert.ok(sent < 8 * MB, `the server could write only about the cap plus socket buffers (${sent} bytes)`);
    await sleep(100);
    assert.equal(server.bytesSent, sent, 'nothing more is sent once the connection is closed');

    // Control: the plain client keeps reading the same reply (stopped here by its own abort after 8 MB arrived).
    const plain = new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0, timeout: 60_000 });
    const stop = new AbortController();
    server.failNext({ kind: 'endless' });
    const before = server.bytesSent;
    const reading = plain.chat.completions.create(hello, { signal: stop.signal }).catch((e: unknown) => e);
    await until(() => server.bytesSent - before > 8 * MB, 'the plain client read past 8 MB');
    stop.abort();
    assert.ok((await reading) instanceof Error);
  });

  it('times out a reply whose body keeps trickling, which the plain client would wait for forever', async () => {
    const slow = new ModelClient({ url: server.url, apiKey: null, timeoutMs: 400, maxRetries: 0, maxReplyMb: 64 });
    server.failNext({ kind: 'endless', intervalMs: 50 });
    const started = Date.now();
    await assert.rejects(
      slow.chat.completions.create(hello),
      (e: unknown) => e instanceof ReplyLimitError && e.limit === 'time' && /still coming after the timeout \(0\.4 s\)/.test(e.message),
    );
    assert.ok(Date.now() - started < 5000);
    await until(() => server.endlessOpen === 0, 'the connection was closed');
    assert.equal(server.requests.at(-1)!.headers.authorization, undefined, 'no key: no Authorization header');

    // Control: the plain client's timeout ends when the headers arrive; the body is still being read after 1 s.
    const plain = new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0, timeout: 400 });
    const stop = new AbortController();
    server.failNext({ kind: 'endless', intervalMs: 50 });
    const reading = plain.chat.completions.create(hello, { signal: stop.signal }).then(
      () => 'read',
      () => 'failed',
    );
    assert.equal(await Promise.race([reading, sleep(1000, 'still reading')]), 'still reading');
    stop.abort();
    await reading;
  });

  it('leaves no listener on a long-lived signal after 100 requests; the plain client leaves one per request', async () => {
    const pipeline = new AbortController();
    for (let i = 0; i < 100; i++) await client.chat.completions.create(hello, { signal: pipeline.signal });
    assert.equal(getEventListeners(pipeline.signal, 'abort').length, 0);

    const plain = new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 });
    const other = new AbortController();
    setMaxListeners(100, other.signal);
    for (let i = 0; i < 20; i++) await plain.chat.completions.create(hello, { signal: other.signal });
    assert.equal(getEventListeners(other.signal, 'abort').length, 20, 'control: the leak this guards against');
  });

  it("aborts a reply being read when the caller's signal aborts, and unlinks the signal", async () => {
    const stop = new AbortController();
    server.failNext({ kind: 'endless', intervalMs: 20 });
    const reading = client.chat.completions.create(hello, { signal: stop.signal });
    await until(() => server.bytesSent > 0, 'the reply started');
    stop.abort();
    await assert.rejects(reading, (e: unknown) => e instanceof Error && e.name === 'AbortError');
    await until(() => server.endlessOpen === 0, 'the connection was closed');
    assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  });

  it('sends credentials of the URL as Basic authentication, never in the request URL, and shows the URL without them', async () => {
    const url = server.url.replace('http://', 'http://robot:s3cr%40t@');
    const basic = new ModelClient({ url, apiKey: null, timeoutMs: 5000, maxRetries: 0, maxReplyMb: 1 });
    await basic.chat.completions.create(hello);
    assert.equal(server.requests.at(-1)!.headers.authorization, `Basic ${Buffer.from('robot:s3cr@t').toString('base64')}`);
    assert.equal(basic.endpoint, server.url);
    assert.throws(
      () => new ModelClient({ url, apiKey: 'k', timeoutMs: 5000, maxRetries: 0, maxReplyMb: 1 }),
      (e: unknown) => e instanceof Error && /robot:\*\*\*@127\.0\.0\.1/.test(e.message) && !e.message.includes('s3cr'),
    );
  });
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}
