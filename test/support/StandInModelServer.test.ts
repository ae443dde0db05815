import { strict as assert } from 'node:assert';
import OpenAI from 'openai';
import { StandInModelServer } from './StandInModelServer.js';

describe('StandInModelServer', () => {
  let server: StandInModelServer;
  beforeEach(async () => {
    server = await new StandInModelServer().start();
  });
  afterEach(() => server.stop());

  it('answers chat completions through the openai client with n choices', async () => {
    server.onChat = () => ['a', 'b'];
    const client = new OpenAI({ baseURL: server.url, apiKey: 'x' });
    const reply = await client.chat.completions.create({ model: 'm', n: 2, messages: [{ role: 'user', content: 'hi' }] });
    assert.deepEqual(
      reply.choices.map((c) => c.message.content),
      ['a', 'b'],
    );
  });

  it('rejects a request that breaks the protocol with 400', async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({ model: 'm', messages: [] }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 400,
    );
  });

  it('fails with 5xx, then recovers', async () => {
    server.failNext({ kind: 'status', status: 503 });
    const client = new OpenAI({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }), /503/);
    const ok = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(ok.choices[0]?.message.content, '{"description": "stand-in"}');
  });

  it('can hang until the client times out, and truncate a reply', async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: 'x', maxRetries: 0, timeout: 200 });
    server.failNext({ kind: 'hang' });
    await assert.rejects(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      OpenAI.APIConnectionTimeoutError,
    );
    server.failNext({ kind: 'truncated' });
    await assert.rejects(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }));
  });

  it('serves transcriptions from multipart uploads', async () => {
    server.onTranscription = (r) => `heard ${r.audio.length} bytes in ${r.language}`;
    const client = new OpenAI({ baseURL: server.url, apiKey: 'x' });
    const result = await client.audio.transcriptions.create({ model: 'w', language: 'en', file: new File([new Uint8Array(100)], 'a.wav') });
    assert.equal(result.text, 'heard 100 bytes in en');
  });

  it('sends oversized replies that are still the same valid reply, endless ones until the client leaves, and odd choices', async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });
    const hi = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
    server.failNext({ kind: 'oversized', bytes: 3 * 2 ** 20 });
    const before = server.bytesSent;
    assert.equal((await client.chat.completions.create(hi)).choices[0]?.message.content, '{"description": "stand-in"}');
    assert.equal(server.bytesSent - before, 3 * 2 ** 20, 'the body had the size asked for');

    server.failNext({ kind: 'choices', choices: [null] });
    assert.deepEqual((await client.chat.completions.create(hi)).choices, [null]);

    const stop = new AbortController();
    server.failNext({ kind: 'endless' });
    const reading = client.chat.completions.create(hi, { signal: stop.signal }).catch((e: unknown) => e);
    while (server.bytesSent < before + 3 * 2 ** 20 + 10 * 2 ** 20) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.endlessOpen, 1);
    stop.abort();
    assert.ok((await reading) instanceof Error);
    while (server.endlessOpen > 0) await new Promise((r) => setTimeout(r, 10));
  });
});
