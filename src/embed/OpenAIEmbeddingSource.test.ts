import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { OpenAIEmbeddingSource } from './OpenAIEmbeddingSource.js';

describe('OpenAIEmbeddingSource', () => {
  let server: StandInModelServer;
  let source: OpenAIEmbeddingSource;

  beforeEach(async () => {
    server = await new StandInModelServer().start();
    source = new OpenAIEmbeddingSource({ client: new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 }), model: 'embedder' });
  });
  afterEach(() => server.stop());

  it('returns one unit vector per text, in input order', async () => {
    server.onEmbeddings = (r) => (r.input as string[]).map((t) => [t.length, 0, 0, 0]);
    const [a, b] = await source.embed(['one', 'three']);
    assert.deepEqual([...a!], [1, 0, 0, 0]);
    assert.deepEqual([...b!], [1, 0, 0, 0]);
    server.onEmbeddings = () => [[3, 4]];
    const [c] = await source.embed(['x']);
    assert.ok(Math.abs(c![0]! - 0.6) < 1e-6 && Math.abs(c![1]! - 0.8) < 1e-6);
    const body = server.requests.at(-1)!.body as { model: string; encoding_format: string };
    assert.equal(body.model, 'embedder');
    assert.equal(body.encoding_format, 'float');
  });

  it('rejects a reply with the wrong number or shape of vectors', async () => {
    server.onEmbeddings = () => [[1, 0]];
    await assert.rejects(source.embed(['a', 'b']), /asked for 2 vectors, got 1/);
    server.onEmbeddings = () => [[1, 0], [1]];
    await assert.rejects(source.embed(['a', 'b']), /vector 1 is not 2 finite numbers/);
  });

  it('reports a failing endpoint', async () => {
    server.failNext({ kind: 'status', status: 503 });
    await assert.rejects(source.embed(['a']), /503/);
  });
});
