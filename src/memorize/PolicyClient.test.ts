import { strict as assert } from 'node:assert';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { PolicyClient, PolicyError } from './PolicyClient.js';

const sampling = { temperature: 0.6, topP: 0.95, topK: 20, maxTokens: 512 };
const hello = [{ role: 'user' as const, content: 'hello' }];

describe('PolicyClient', () => {
  let server: StandInModelServer;
  beforeEach(async () => {
    server = await new StandInModelServer().start();
  });
  afterEach(() => server.stop());

  it('returns thinking a reasoning parser split off, the finish reason, and n choices of one request', async () => {
    server.onChat = () => [
      { content: '{"description": "A door."}', reasoning_content: 'I see a door.' },
      { content: '{"descr', finish_reason: 'length' },
    ];
    const client = new PolicyClient({ baseURL: server.url, model: 'p', apiKey: 'k', timeoutMs: 1000, maxReplyMb: 8, sampling });
    const completion = await client.complete(hello, { n: 2 });
    assert.deepEqual(completion.choices, [
      { content: '{"description": "A door."}', reasoning: 'I see a door.', finishReason: 'stop' },
      { content: '{"descr', reasoning: null, finishReason: 'length' },
    ]);
    assert.equal(server.chatRequests()[0]!.n, 2);
    assert.ok(completion.usage && completion.usage.promptTokens > 0);
  });

  it('sends the output schema as response_format only when asked, and leaves top_k out when off', async () => {
    const options = { baseURL: server.url, model: 'p', apiKey: null, timeoutMs: 1000, maxReplyMb: 8 };
    await new PolicyClient({ ...options, sampling: { ...sampling, topK: -1 } }).complete(hello);
    await new PolicyClient({ ...options, sampling, jsonSchema: true }).complete(hello);
    const [plain, constrained] = server.chatRequests();
    assert.equal(plain!.response_format, undefined);
    assert.equal(plain!.top_k, undefined);
    const format = constrained!.response_format as { type: string; json_schema: { name: string; schema: { properties: object } } };
    assert.equal(format.type, 'json_schema');
    assert.deepEqual(Object.keys(format.json_schema.schema.properties), ['description']);
  });

  it('classifies failures: refused, timeout, server error, broken body, rejected, aborted', async () => {
    const client = new PolicyClient({ baseURL: server.url, model: 'p', apiKey: null, timeoutMs: 150, maxReplyMb: 8, sampling });
    const kindOf = async (signal?: AbortSignal) => {
      try {
        await client.complete(hello, signal ? { signal } : {});
        return 'ok';
      } catch (error) {
        assert.ok(error instanceof PolicyError);
        return `${error.kind}${error.retryable ? ' retryable' : ''}${error.answered ? ' answered' : ''}`;
      }
    };
    server.failNext({ kind: 'hang' });
    assert.equal(await kindOf(), 'timeout retryable');
    server.failNext({ kind: 'status', status: 429 });
    assert.equal(await kindOf(), 'server retryable answered');
    server.failNext({ kind: 'truncated' });
    assert.equal(await kindOf(), 'connection retryable');
    server.failNext({ kind: 'malformed' });
    assert.equal(await kindOf(), 'protocol retryable answered');
    server.failNext({ kind: 'choices', choices: [null] });
    assert.equal(await kindOf(), 'protocol retryable answered');
    server.failNext({ kind: 'endless', intervalMs: 20 });
    assert.equal(await kindOf(), 'timeout retryable');
    // A reply past model_reply_max_mb, read by a client whose timeout leaves time to read that far.
    const capped = new PolicyClient({ baseURL: server.url, model: 'p', apiKey: null, timeoutMs: 10_000, maxReplyMb: 1, sampling });
    server.failNext({ kind: 'oversized', bytes: 3 * 2 ** 20, chunked: true });
    await assert.rejects(
      capped.complete(hello),
      (e: unknown) =>
        e instanceof PolicyError && e.kind === 'protocol' && e.retryable && /larger than model_reply_max_mb = 1 MB/.test(e.message),
    );
    server.failNext({ kind: 'status', status: 401 });
    assert.equal(await kindOf(), 'rejected answered');
    server.failNext({ kind: 'hang' });
    assert.equal(await kindOf(AbortSignal.timeout(20)), 'aborted');
    await server.stop();
    // The first request after the server went down may find its kept-alive connection closed.
    assert.match(await kindOf(), /^(connection|unreachable) retryable$/);
    assert.equal(await kindOf(), 'unreachable retryable');
    server = await new StandInModelServer().start();
  });
});
