import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { conceptEmbeddings } from '../../test/support/conceptEmbeddings.js';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import type { Logger } from '../log.js';
import { sampleMemory, T0 } from '../memory/MemoryStore.contract.test.js';
import { SqliteMemoryStore } from '../memory/SqliteMemoryStore.js';
import { EmbeddingBackfill } from './EmbeddingBackfill.js';
import { OpenAIEmbeddingSource } from './OpenAIEmbeddingSource.js';
import { reindexStore } from './reindexStore.js';

describe('reindexStore (SQLite file, stand-in embeddings over HTTP)', function () {
  this.timeout(30_000);
  let dir: string;
  let server: StandInModelServer;
  let store: SqliteMemoryStore;
  let lines: string[];
  const logger: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-reindex-'));
    server = await new StandInModelServer().start();
    server.onEmbeddings = conceptEmbeddings;
    store = new SqliteMemoryStore({ path: join(dir, 'memory.sqlite') });
    for (let i = 0; i < 20; i++)
      await store.put(sampleMemory({ start: T0 + BigInt(i) * 10_000_000_000n, text: `a box on shelf ${'abcdefghijklmnopqrst'[i]}` }));
    lines = [];
  });
  afterEach(async () => {
    await store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const backfill = () =>
    new EmbeddingBackfill({
      store,
      source: new OpenAIEmbeddingSource({ client: new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 }), model: 'concepts-v1' }),
      batchSize: 8,
    });

  it('waits while another process holds the model’s lease, then embeds every memory', async () => {
    assert.equal(await store.leaseEmbedding('concepts-v1', { owner: 'the-node', now: Date.now(), ttlMs: 60_000 }), true);
    const released = new Promise<void>((resolve) =>
      setTimeout(() => void store.releaseEmbedding('concepts-v1', 'the-node').then(resolve), 300),
    );
    const progress: number[] = [];
    const result = await reindexStore({
      backfill: backfill(),
      store,
      logger,
      busyWaitMs: 50,
      onProgress: (p) => progress.push(p.embedded),
    });
    await released;
    assert.deepEqual([result.total, result.embedded, result.left, result.interrupted, result.failure], [20, 20, 0, false, null]);
    assert.deepEqual(progress, [8, 16, 20]);
    assert.ok(
      lines.some((l) => l.includes('another process holds the lease')),
      lines.join('\n'),
    );
  });

  it('gives up after the endpoint fails four batches in a row, keeping what it stored, and a rerun resumes', async () => {
    let answered = 0;
    server.onEmbeddings = (request) => {
      if (answered++ >= 1) throw new Error('model crashed');
      return conceptEmbeddings(request);
    };
    const first = await reindexStore({ backfill: backfill(), store, logger, retryDelayMs: 10 });
    assert.deepEqual([first.embedded, first.left, first.failure?.cause], [8, 12, 'http_500']);
    assert.equal(lines.filter((l) => l.includes('a batch failed (HTTP 500')).length, 3, 'three retries, then it gives up');

    server.onEmbeddings = conceptEmbeddings;
    const again = await reindexStore({ backfill: backfill(), store, logger });
    assert.deepEqual([again.total, again.embedded, again.left, again.failure], [12, 12, 0, null]);
  });

  it('stops at once when aborted, the batches stored kept', async () => {
    const stop = new AbortController();
    server.onEmbeddings = (request) => {
      if (server.requests.length === 2) stop.abort();
      return conceptEmbeddings(request);
    };
    const result = await reindexStore({ backfill: backfill(), store, logger, signal: stop.signal });
    assert.equal(result.interrupted, true);
    assert.ok(result.left > 0 && result.left <= 12, `stopped part-way with whole batches stored (${result.left} left)`);
    assert.equal(await store.countUnembedded('concepts-v1'), result.left);
  });
});
