import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Answer } from '../../src/answer/Answer.js';
import { sampleMemory, T0 } from '../../src/memory/MemoryStore.contract.test.js';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import pg from 'pg';
import { conceptEmbeddings } from '../support/conceptEmbeddings.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { topicFlags, writeRecording, type RecordingScript } from '../support/recording.js';
import { StandInModelServer, type EmbeddingsRequest } from '../support/StandInModelServer.js';
import { taskmem as taskmemProcess, type TaskmemOptions } from '../support/taskmemProcess.js';

/** What the stand-in policy writes, one per segment in turn: "purse" appears in none of them. */
const SCENES = [
  'Alex counts the money and puts it in the brown wallet on the desk.',
  'A robot vacuum passes under the dining table in the hall.',
  'Sam waters the fern beside the tall bookshelf.',
  'Two visitors talk about the weather near the front door.',
  'A grey cat sleeps on the couch in the living room.',
  'Someone fills the kettle at the sink and switches it on.',
];

/** Memories per model in the SQLite file, and how many memories lack a vector of `model`. */
function vectorsIn(path: string, model: string): { memories: number; byModel: Record<string, number>; without: number } {
  const db = new Database(path, { readonly: true });
  try {
    const memories = db.prepare('SELECT count(*) FROM memories').pluck().get() as number;
    const rows = db.prepare('SELECT model, count(*) AS n FROM memory_vectors GROUP BY model').all() as { model: string; n: number }[];
    const without = db
      .prepare('SELECT count(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.seq = m.seq AND v.model = ?)')
      .pluck()
      .get(model) as number;
    return { memories, byModel: Object.fromEntries(rows.map((r) => [r.model, r.n])), without };
  } finally {
    db.close();
  }
}

/** `taskmem <command> …` in a child process; `stopWhen` interrupts it as Ctrl-C does. */
const taskmem = (command: string, args: string[], options: TaskmemOptions = {}) =>
  taskmemProcess([command, ...args], { signal: 'SIGINT', ...options });

describe('embedding on the write path, taskmem reindex and vector search (commands, stand-in endpoints over HTTP)', function () {
  this.timeout(180_000);
  let dir: string;
  let script: RecordingScript;
  let server: StandInModelServer;
  /** Every text the embeddings endpoint answered, with its model, in order. */
  let served: { model: string; text: string }[];

  const flags = (store: string, model = 'concepts-v1') => [
    '--robot_id',
    'r1',
    '--store.path',
    store,
    '--memorizer.url',
    server.url,
    '--memorizer.retries',
    '0',
    '--embedding.url',
    server.url,
    '--embedding.model',
    model,
    ...topicFlags(script),
  ];
  /** The store of robot r1, whose memories the questions ask about, with an embedding source. */
  const embeddingFlags = (store: string, model: string) => [
    '--robot_id',
    'r1',
    '--store.path',
    store,
    '--embedding.url',
    server.url,
    '--embedding.model',
    model,
  ];
  /** How many times the endpoint answered for each memory text of `model` (question texts left out). */
  const servedPerText = (model: string) => {
    const counts = new Map<string, number>();
    for (const s of served) if (s.model === model && SCENES.includes(s.text)) counts.set(s.text, (counts.get(s.text) ?? 0) + 1);
    return counts;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-embedding-'));
    script = await writeRecording({ path: join(dir, 'run.mcap'), durationS: 60, fps: 2 });
    server = await new StandInModelServer().start();
  });
  beforeEach(() => {
    let n = 0;
    server.onChat = async () => {
      await sleep(100);
      return `{"description": ${JSON.stringify(SCENES[n++ % SCENES.length])}}`;
    };
    served = [];
    server.requests.length = 0;
    server.clearFaults();
    server.onEmbeddings = (request: EmbeddingsRequest) => {
      for (const text of typeof request.input === 'string' ? [request.input] : request.input) served.push({ model: request.model, text });
      return conceptEmbeddings(request);
    };
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('one store through ingest, ask and a change of model', () => {
    let store: string;
    before(() => (store = join(dir, 'memory.sqlite')));

    it('taskmem ingest --embedding.url stores every memory with its vector of that model, each text embedded once', async () => {
      const run = await taskmem('ingest', [script.path, ...flags(store)]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(vectorsIn(store, 'concepts-v1'), { memories: 6, byModel: { 'concepts-v1': 6 }, without: 0 });
      assert.deepEqual([...servedPerText('concepts-v1').values()], [1, 1, 1, 1, 1, 1]);
      assert.match(run.stderr, /embedding concepts-v1: 6 memories stored with their vector, 0 without/);
    });

    it('taskmem ask finds by vector the memory full text misses, says the retrieval was hybrid and which memory came by vector', async () => {
      const ask = (model: string) => taskmem('ask', ['Where is my purse?', '--json', ...embeddingFlags(store, model)]);
      const run = await ask('concepts-v1');
      assert.equal(run.code, 0, run.stderr);
      const answer = JSON.parse(run.stdout) as Answer;
      assert.equal(answer.retrieval.mode, 'hybrid');
      assert.deepEqual([answer.evidence[0]!.text, answer.evidence[0]!.matchedBy], [SCENES[0], ['vector']]);

      const fullText = await taskmem('ask', ['Where is my purse?', '--json', '--robot_id', 'r1', '--store.path', store]);
      const without = JSON.parse(fullText.stdout) as Answer;
      assert.equal(without.retrieval.mode, 'full-text');
      assert.ok(!without.evidence.some((e) => e.text === SCENES[0] && e.matchedBy.includes('text')), 'full text alone does not find it');
    });

    it('taskmem reindex after a change of embedding model makes the new model’s vectors for every memory and keeps the old', async () => {
      const before = await taskmem('ask', ['Where is my purse?', '--json', ...embeddingFlags(store, 'concepts-v2')]);
      assert.equal((JSON.parse(before.stdout) as Answer).retrieval.mode, 'full-text', 'no vector of the new model yet: not hybrid');

      const run = await taskmem('reindex', embeddingFlags(store, 'concepts-v2'));
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /6 memories embedded with concepts-v2 .*; 0 of the store still without a vector of it/);
      assert.deepEqual(vectorsIn(store, 'concepts-v2'), { memories: 6, byModel: { 'concepts-v1': 6, 'concepts-v2': 6 }, without: 0 });
      assert.deepEqual([...servedPerText('concepts-v2').values()], [1, 1, 1, 1, 1, 1]);

      const after = JSON.parse(
        (await taskmem('ask', ['Where is my purse?', '--json', ...embeddingFlags(store, 'concepts-v2')])).stdout,
      ) as Answer;
      assert.equal(after.retrieval.mode, 'hybrid');
      assert.deepEqual([after.evidence[0]!.text, after.evidence[0]!.matchedBy], [SCENES[0], ['vector']]);

      const again = await taskmem('reindex', embeddingFlags(store, 'concepts-v2'));
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /0 memories embedded with concepts-v2/, 'a second run has nothing to do');
    });
  });

  it('stores the memories while the embedding endpoint fails and fills their vectors in after the next segments, none embedded twice', async () => {
    const store = join(dir, 'flaky.sqlite');
    // The embeddings endpoint answers 503 to its next 6 requests, while chat answers: the client tries each call
    // three times, so the first memory's embedding and the catch-up after it fail; the write path then waits for
    // the catch-up, which succeeds after a later segment or, at the latest, when the stream ends.
    server.failNext({ kind: 'status', status: 503 }, 6, 'embeddings');
    const run = await taskmem('ingest', [script.path, ...flags(store)]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(server.faultsLeft(), 0, 'the endpoint failed as long as planned');
    assert.match(run.stderr, /a new memory is stored without its vector \(HTTP 503/);
    const summary =
      /embedding concepts-v1: (\d+) memories stored with their vector, (\d+) without, (\d+) stored without one embedded since/.exec(
        run.stderr,
      );
    assert.ok(summary, run.stderr);
    const [withVector, without, caughtUp] = summary.slice(1).map(Number);
    assert.ok(without! >= 1, 'some memories were stored without their vector');
    assert.deepEqual([withVector! + without!, caughtUp], [6, without]);
    assert.deepEqual(vectorsIn(store, 'concepts-v1'), { memories: 6, byModel: { 'concepts-v1': 6 }, without: 0 });
    assert.deepEqual([...servedPerText('concepts-v1').values()], [1, 1, 1, 1, 1, 1], 'each memory embedded once');
  });

  it('stores every memory while the embedding endpoint is down, and taskmem reindex embeds them once it answers', async () => {
    const store = join(dir, 'down.sqlite');
    server.failNext({ kind: 'status', status: 503 }, 10_000, 'embeddings');
    const run = await taskmem('ingest', [script.path, ...flags(store)]);
    assert.equal(run.code, 0, `no memory is lost for want of a vector: ${run.stderr}`);
    assert.match(run.stderr, /embedding concepts-v1: 0 memories stored with their vector, 6 without/);
    assert.match(run.stderr, /6 memories of the store have no vector of concepts-v1 yet; .*taskmem reindex/);
    assert.deepEqual(vectorsIn(store, 'concepts-v1'), { memories: 6, byModel: {}, without: 6 });

    server.clearFaults();
    const reindex = await taskmem('reindex', embeddingFlags(store, 'concepts-v1'));
    assert.equal(reindex.code, 0, reindex.stderr);
    assert.deepEqual(vectorsIn(store, 'concepts-v1'), { memories: 6, byModel: { 'concepts-v1': 6 }, without: 0 });
    assert.deepEqual([...servedPerText('concepts-v1').values()], [1, 1, 1, 1, 1, 1], 'each memory embedded once');
  });

  it('taskmem reindex stops on Ctrl-C keeping the batches stored, and a rerun embeds the rest, none twice', async () => {
    const store = join(dir, 'large.sqlite');
    const opened = new SqliteMemoryStore({ path: store });
    const texts = Array.from({ length: 300 }, (_, i) => `Memory ${i}: a box numbered ${i} on shelf ${i % 7}.`);
    await opened.putMany(texts.map((text, i) => ({ memory: sampleMemory({ start: T0 + BigInt(i) * 10_000_000_000n, text }) })));
    await opened.close();
    const slow = server.onEmbeddings;
    server.onEmbeddings = async (request) => {
      await sleep(150);
      return slow(request);
    };
    const first = await taskmem('reindex', embeddingFlags(store, 'concepts-v1'), { stopWhen: () => served.length >= 128 });
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /interrupted: run the same command again to resume/);
    const kept = vectorsIn(store, 'concepts-v1');
    assert.ok(kept.byModel['concepts-v1']! >= 64 && kept.without > 0, `stopped part-way: ${JSON.stringify(kept)}`);
    assert.equal(kept.byModel['concepts-v1']! % 64, 0, 'whole batches only');

    const second = await taskmem('reindex', embeddingFlags(store, 'concepts-v1'));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, new RegExp(`${kept.without} memories embedded with concepts-v1 .*; 0 of the store still without`));
    assert.deepEqual(vectorsIn(store, 'concepts-v1'), { memories: 300, byModel: { 'concepts-v1': 300 }, without: 0 });
  });

  describe('on a real PostgreSQL 15 server', () => {
    let postgres: TestPostgres;
    before(async () => {
      postgres = await startPostgres();
    });
    after(async () => {
      await postgres?.stop();
    });

    it('ingest embeds on the write path, stores the memories while the endpoint fails, and reindex fills them in, each once', async () => {
      const onPostgres = (args: string[]) => [...args, '--store.backend', 'postgres', '--store.url', postgres.url];
      server.failNext({ kind: 'status', status: 503 }, 6, 'embeddings');
      const run = await taskmem('ingest', onPostgres([script.path, ...flags(join(dir, 'unused.sqlite'))]));
      assert.equal(run.code, 0, run.stderr);
      const counts = async () => {
        const client = new pg.Client({ connectionString: postgres.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ memories: string; vectors: string }>(
            "SELECT (SELECT count(*) FROM memories) AS memories, (SELECT count(*) FROM memory_vectors WHERE model = 'concepts-v1') AS vectors",
          );
          return { memories: Number(rows[0]!.memories), vectors: Number(rows[0]!.vectors) };
        } finally {
          await client.end();
        }
      };
      assert.deepEqual(await counts(), { memories: 6, vectors: 6 }, run.stderr);
      assert.match(run.stderr, /a new memory is stored without its vector \(HTTP 503/);

      const reindex = await taskmem('reindex', onPostgres(['--embedding.url', server.url, '--embedding.model', 'concepts-v2']));
      assert.equal(reindex.code, 0, reindex.stderr);
      assert.match(reindex.stderr, /6 memories embedded with concepts-v2 .*; 0 of the store still without a vector of it/);
      assert.deepEqual([...servedPerText('concepts-v1').values()], [1, 1, 1, 1, 1, 1]);
      assert.deepEqual([...servedPerText('concepts-v2').values()], [1, 1, 1, 1, 1, 1]);
      const answer = JSON.parse(
        (
          await taskmem(
            'ask',
            onPostgres([
              'Where is my purse?',
              '--json',
              '--robot_id',
              'r1',
              '--embedding.url',
              server.url,
              '--embedding.model',
              'concepts-v2',
            ]),
          )
        ).stdout,
      ) as Answer;
      assert.deepEqual([answer.retrieval.mode, answer.evidence[0]!.text, answer.evidence[0]!.matchedBy], ['hybrid', SCENES[0], ['vector']]);
    });
  });

  it('taskmem reindex without an embedding source says which parameters to set', async () => {
    const run = await taskmem('reindex', ['--store.path', join(dir, 'memory.sqlite')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no embedding source: set embedding\.url \(and embedding\.model\) or embedding\.onnx_path/);
  });
});
