import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { Assembly } from '../../src/assembly/Assembly.js';
import { ingestRecording } from '../../src/ingest/RecordingIngest.js';
import { silentLogger } from '../../src/log.js';
import { NANOS_PER_SECOND } from '../../src/time.js';
import { StandInModelServer } from '../support/StandInModelServer.js';
import { writeCompressedCopy, writeRecording, type RecordingScript } from '../support/recording.js';

describe('taskmem ingest of a recording with zstd-compressed chunks', function () {
  this.timeout(60_000);
  let dir: string;
  let server: StandInModelServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-compressed-ingest-'));
    server = await new StandInModelServer().start();
    server.onChat = () => '{"description": "A room with a sign; someone speaks."}';
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Ingests `path` into a new SQLite store; returns what was stored and the prompts the model was sent. */
  async function ingest(script: RecordingScript, path: string) {
    const config = configSchema.parse({
      robot_id: 'r1',
      ...script.config,
      memorizer: { url: server.url, retries: 0, fallback: false },
      store: { path: join(dir, `${path.endsWith('zstd.mcap') ? 'zstd' : 'plain'}.sqlite`) },
    });
    const assembly = await Assembly.open(config, { logger: silentLogger, env: {} });
    const { store } = assembly;
    try {
      const asked = server.chatRequests().length;
      const result = await ingestRecording({
        path,
        config,
        store,
        openPipeline: (options) => assembly.pipeline({ ...options, focus: null }),
      });
      const memories = (await store.recall({ robotId: 'r1', limit: 10 })).memories
        .map((s) => s.memory)
        .sort((a, b) => a.segmentIndex - b.segmentIndex);
      return {
        result,
        memories,
        prompts: server
          .chatRequests()
          .slice(asked)
          .map((r) => JSON.stringify(r.messages)),
      };
    } finally {
      await assembly.close();
    }
  }

  it('stores the same memories from the same model input as the uncompressed recording', async () => {
    const script = await writeRecording({ path: join(dir, 'plain.mcap'), durationS: 20, fps: 1 });
    const compressed = join(dir, 'zstd.mcap');
    await writeCompressedCopy(script.path, compressed, 'zstd');

    const zstd = await ingest(script, compressed);
    assert.deepEqual([zstd.result.stored, zstd.result.failed], [2, 0]);
    assert.deepEqual(
      zstd.memories.map((m) => [m.start - script.start, m.end - script.start]),
      [
        [0n, 10n * NANOS_PER_SECOND],
        [10n * NANOS_PER_SECOND, 20n * NANOS_PER_SECOND],
      ],
    );
    assert.ok(zstd.memories.every((m) => m.pose !== null && m.text === 'A room with a sign; someone speaks.'));
    for (const prompt of zstd.prompts)
      assert.equal(prompt.match(/data:image\/jpeg;base64,/g)?.length, 8, 'segment.keyframes images per request');

    const plain = await ingest(script, script.path);
    assert.deepEqual(zstd.prompts, plain.prompts, 'the model sees the same keyframes, speech and poses');
    // createdAt is the recording time reading had reached when the model answered, which depends on scheduling.
    const stored = (m: (typeof plain.memories)[number]) => ({ ...m, createdAt: 0n });
    assert.deepEqual(zstd.memories.map(stored), plain.memories.map(stored));
  });
});
