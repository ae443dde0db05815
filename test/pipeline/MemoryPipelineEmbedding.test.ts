import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { configSchema, type Config } from '../../src/config/schema.js';
import { OpenAIEmbeddingSource } from '../../src/embed/OpenAIEmbeddingSource.js';
import type { Logger } from '../../src/log.js';
import { ImageConverter } from '../../src/media/ImageConverter.js';
import { memoryId } from '../../src/memory/Memory.js';
import { sampleMemory } from '../../src/memory/MemoryStore.contract.test.js';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import { MemoryPipeline } from '../../src/pipeline/MemoryPipeline.js';
import type { Segment } from '../../src/segment/Segment.js';
import { NANOS_PER_SECOND } from '../../src/time.js';
import { conceptEmbeddings } from '../support/conceptEmbeddings.js';
import { StandInModelServer, StandInReplyError, type EmbeddingsRequest } from '../support/StandInModelServer.js';
import { instantMemorizer } from '../support/instantMemorizer.js';

const T0 = 1_750_000_000n * NANOS_PER_SECOND;
const TEXTS = [
  'The mug is on the kitchen table.',
  'A very long text the endpoint refuses.',
  'The keys hang by the door.',
  'A fern on the sill.',
];

/** Writes TEXTS[segment.index] at once: the embedding is what is under test. */
const memorizer = instantMemorizer((segment) => TEXTS[segment.index]!);

function segment(index: number): Segment {
  const start = T0 + BigInt(index) * 10n * NANOS_PER_SECOND;
  return {
    robotId: 'r1',
    episode: 0,
    index,
    start,
    end: start + 10n * NANOS_PER_SECOND,
    keyframes: [],
    speech: [],
    transcript: [],
    poses: [],
    dropped: {},
  };
}

const inputs = (r: EmbeddingsRequest) => (typeof r.input === 'string' ? [r.input] : r.input);

describe('MemoryPipeline: embedding on the write path (SQLite file, stand-in embeddings over HTTP)', function () {
  this.timeout(30_000);
  let dir: string;
  let server: StandInModelServer;
  let store: SqliteMemoryStore;
  let warnings: string[];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const config: Config = configSchema.parse({ robot_id: 'r1' });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-pipeline-embedding-'));
    server = await new StandInModelServer().start();
    store = new SqliteMemoryStore({ path: join(dir, 'memory.sqlite') });
    warnings = [];
  });
  afterEach(async () => {
    await store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function pipeline(): MemoryPipeline {
    const client = new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 });
    return new MemoryPipeline({
      config,
      converter: new ImageConverter(config.camera),
      memorizer,
      store,
      embedding: new OpenAIEmbeddingSource({ client, model: 'concepts-v1' }),
      logger,
      overflow: 'wait',
    });
  }

  async function run(p: MemoryPipeline, segments: number): Promise<void> {
    for (let i = 0; i < segments; i++) await p.enqueue(segment(i));
    await p.drain();
    await p.close();
  }

  it('stores a memory whose text the endpoint refuses without its vector, embeds the others, and tries the refused one alone once more', async () => {
    const asked: string[][] = [];
    server.onEmbeddings = (request) => {
      asked.push(inputs(request));
      if (inputs(request).includes(TEXTS[1]!)) throw new StandInReplyError(400, 'input is too long for the model');
      return conceptEmbeddings(request);
    };
    const p = pipeline();
    await run(p, 4);
    assert.deepEqual(
      { ...p.embedding!, failures: Object.keys(p.embedding!.failures) },
      { model: 'concepts-v1', embedded: 3, deferred: 1, caughtUp: 0, failures: ['http_400'], pending: 1, down: null },
    );
    assert.equal(await store.countUnembedded('concepts-v1'), 1);
    const refused = (await store.unembedded('concepts-v1')).memories.map((m) => m.id);
    assert.deepEqual(refused, [memoryId('r1', 0, segment(1).start)]);
    assert.deepEqual(
      asked.filter((texts) => texts.includes(TEXTS[1]!)),
      [[TEXTS[1]], [TEXTS[1]]],
      'asked on the write path, then alone by the catch-up, and not again',
    );
    assert.ok(
      warnings.some((w) => w.includes(`the endpoint refused the text of memory ${refused[0]}`)),
      warnings.join('\n'),
    );
  });

  it('stores the memory without its vector when the store refuses the vector (another length under the same model name)', async () => {
    await store.put(sampleMemory({ start: T0 - 100n * NANOS_PER_SECOND, text: 'an older memory' }), {
      model: 'concepts-v1',
      vector: new Float32Array(8).fill(0.5),
    });
    server.onEmbeddings = conceptEmbeddings; // 64-d under the name of the store's 8-d model
    const p = pipeline();
    await run(p, 3);
    assert.equal(await store.count(), 4, 'every memory is stored');
    assert.equal(await store.countUnembedded('concepts-v1'), 3);
    assert.deepEqual([p.embedding!.embedded, p.embedding!.deferred, p.embedding!.failures.store! >= 3], [0, 3, true]);
    assert.ok(
      warnings.some((w) => /8-dimensional vectors of "concepts-v1"/.test(w)),
      warnings.join('\n'),
    );
  });

  it('cancels the catch-up request in flight when closed with abort', async () => {
    await store.put(sampleMemory({ start: T0 - 100n * NANOS_PER_SECOND, text: 'stored while no source was configured' }));
    server.failNext({ kind: 'hang' }, 1, 'embeddings');
    const p = pipeline();
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await p.close({ abort: true });
    assert.equal(await store.countUnembedded('concepts-v1'), 1, 'still waiting for a vector');
    assert.deepEqual(p.embedding!.failures, {}, 'a cancelled request is not an endpoint failure');
  });
});
