import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { segmentFixture } from '../../test/support/memorizeFixtures.js';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { openAnswerer } from '../assembly/answerer.js';
import { openTaskFocus } from '../assembly/taskFocus.js';
import { configSchema, type Config } from '../config/schema.js';
import { openEmbeddingSource } from '../embed/openEmbeddingSource.js';
import { Transcriber } from '../media/Transcriber.js';
import { PolicyMemorizer } from '../memorize/PolicyMemorizer.js';
import { silentLogger } from '../log.js';
import { SqliteMemoryStore } from '../memory/SqliteMemoryStore.js';

/** Source files of src/ other than tests. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

describe('every model endpoint client (model_reply_max_mb)', function () {
  this.timeout(60_000);
  let server: StandInModelServer;
  let dir: string;
  let config: Config;
  beforeEach(async () => {
    server = await new StandInModelServer().start();
    dir = mkdtempSync(join(tmpdir(), 'taskmem-reply-cap-'));
    config = configSchema.parse({
      model_reply_max_mb: 1,
      memorizer: { url: server.url, retries: 0, timeout_s: 30 },
      answerer: { url: server.url, model: 'answerer', timeout_s: 30 },
      embedding: { url: server.url, model: 'embedder' },
      audio: { transcriber_url: server.url, transcriber_timeout_s: 30 },
      focus: { grouping: 'classifier' },
    });
  });
  afterEach(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the guarded ModelClient: no other module builds a plain openai client', () => {
    const root = join(import.meta.dirname, '..');
    const plain = sources(root).filter((path) => /new OpenAI\(/.test(readFileSync(path, 'utf8')));
    assert.deepEqual(
      plain.map((p) => relative(root, p)),
      [],
    );
  });

  it('stops reading an endless reply at the cap and closes the connection, for the policy, answerer, embeddings, transcriber and task classifier', async () => {
    const failures: Record<string, string> = {};
    const endless = async (name: string, call: () => Promise<unknown>) => {
      server.failNext({ kind: 'endless' });
      try {
        failures[name] = JSON.stringify(await call());
      } catch (error) {
        failures[name] = (error as Error).message;
      }
      const deadline = Date.now() + 10_000;
      while (server.endlessOpen > 0 && Date.now() < deadline) await sleep(10);
      assert.equal(server.endlessOpen, 0, `${name}: the connection was closed`);
    };

    await endless('policy', async () => {
      const outcome = await PolicyMemorizer.fromConfig(config, { now: () => 0n, env: {} }).memorize(await segmentFixture({ index: 1 }), {
        window: [],
        focus: null,
      });
      return outcome.kind === 'failed' ? outcome.failure.reason : outcome.kind;
    });
    const store = new SqliteMemoryStore({ path: join(dir, 'memory.sqlite') });
    try {
      await endless('answerer', async () => {
        const answer = await openAnswerer(config, { store, embedder: null, logger: silentLogger, env: {} }).ask('Where are the keys?', {
          askedAt: 10n ** 18n,
        });
        return answer.notes.join('; ');
      });
      await endless('embeddings', async () => (await openEmbeddingSource(config, {}))!.embed(['keys']));
      await endless('transcriber', async () => Transcriber.fromConfig(config, {})!.transcribe(new Float32Array(1600)));
      await endless('task classifier', async () => {
        const focus = await openTaskFocus(config, { store, embedder: null, env: {} });
        return focus.note({ text: 'Where are the keys?', stamp: 1n });
      });
    } finally {
      await store.close();
    }
    for (const [name, message] of Object.entries(failures)) {
      assert.match(message, /larger than model_reply_max_mb = 1 MB/, `${name}: ${message}`);
    }
    assert.deepEqual(Object.keys(failures), ['policy', 'answerer', 'embeddings', 'transcriber', 'task classifier']);
  });
});
