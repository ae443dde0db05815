import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { StandInModelServer } from '../../../test/support/StandInModelServer.js';
import { taskmem } from '../../../test/support/taskmemProcess.js';
import type { Answer } from '../../answer/Answer.js';
import { OpenAIEmbeddingSource } from '../../embed/OpenAIEmbeddingSource.js';
import { sampleMemory } from '../../memory/MemoryStore.contract.test.js';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';

const S = 1_000_000_000n;

/** `taskmem ask … --json` as a user runs it; the answer as printed. */
async function askJson(args: string[]): Promise<Answer> {
  const run = await taskmem(['ask', ...args, '--json']);
  if (run.code !== 0) throw new Error(`taskmem ask failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Answer;
}

describe('taskmem ask with an embedding source', function () {
  this.timeout(60_000);
  let dir: string;
  let path: string;
  let server: StandInModelServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-ask-vectors-'));
    path = join(dir, 'memory.sqlite');
    server = await new StandInModelServer().start();
    // Embeddings with meaning: one axis per concept, so a purse and a wallet are close without sharing a word.
    const axes = [/wallet|purse/, /plant|flower/, /keys/];
    server.onEmbeddings = (r) =>
      (typeof r.input === 'string' ? [r.input] : r.input).map((t) => axes.map((a) => (a.test(t.toLowerCase()) ? 1 : 0.01)));
    const embedder = new OpenAIEmbeddingSource({
      client: new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 }),
      model: 'concepts-v1',
    });
    const store = new SqliteMemoryStore({ path });
    for (const [i, text] of ['Alex counts money in the brown wallet.', 'Alex waters the plant by the window.'].entries()) {
      const memory = sampleMemory({ start: BigInt(1_790_000_000 + i * 60) * S, text });
      await store.put(memory, { model: embedder.name, vector: (await embedder.embed([text]))[0]! });
    }
    await store.close();
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const common = () => ['--robot_id', 'r1', '--store.path', path, '--embedding.url', server.url, '--at', String(1_790_001_000n * S)];

  it('finds by vector what shares no word with the question, and says the retrieval was hybrid', async () => {
    const answer = await askJson(['Where is my purse?', ...common(), '--embedding.model', 'concepts-v1']);
    assert.equal(answer.retrieval.mode, 'hybrid');
    assert.deepEqual(answer.evidence.map((e) => [e.text, e.matchedBy]).slice(0, 1), [
      ['Alex counts money in the brown wallet.', ['vector']],
    ]);
  });

  it('does not claim hybrid retrieval when no memory has a vector of the configured model', async () => {
    const answer = await askJson(['Where is my purse or my wallet?', ...common(), '--embedding.model', 'concepts-v2']);
    assert.equal(answer.retrieval.mode, 'full-text');
    assert.deepEqual(
      answer.evidence.map((e) => [e.text, e.matchedBy]),
      [['Alex counts money in the brown wallet.', ['text']]],
    );
    assert.ok(
      answer.notes.includes('no memory has a vector of concepts-v2 yet: retrieval is full-text plus time'),
      answer.notes.join('\n'),
    );
  });
});
