import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRecording, type RecordingScript } from '../../demo/ScriptedRecording.js';
import { Assembly } from '../../assembly/Assembly.js';
import { damagedCopy, silentRecordingFlags } from '../../../test/support/recording.js';
import { configSchema } from '../../config/schema.js';
import { ingestRecording } from '../../ingest/RecordingIngest.js';
import { silentLogger } from '../../log.js';
import type { Memory } from '../../memory/Memory.js';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';
import { StandInModelServer } from '../../../test/support/StandInModelServer.js';
import { remember } from './remember.js';

describe('taskmem remember --again', function () {
  this.timeout(60_000);
  let dir: string;
  let script: RecordingScript;
  let server: StandInModelServer;
  let storePath: string;

  /** The sensor and store parameters of the recording, as flags. */
  const flags = () => ['--robot_id', 'r1', '--store.path', storePath, ...silentRecordingFlags(script)];
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await remember(args, { out: (t) => out.push(t), err: (t) => err.push(t) }, silentLogger);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const memories = async (): Promise<Memory[]> => {
    const store = new SqliteMemoryStore({ path: storePath });
    try {
      return (await store.recall({ robotId: 'r1', limit: 10 })).memories
        .map((s) => s.memory)
        .sort((a, b) => a.segmentIndex - b.segmentIndex);
    } finally {
      await store.close();
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-remember-'));
    script = await writeRecording({ path: join(dir, 'run.mcap'), durationS: 30, fps: 2, camera: 'compressed', audio: 'none' });
    server = await new StandInModelServer().start();
    storePath = join(dir, 'memory.sqlite');

    // The first ingest: segment 0 while the endpoint hangs (written by the perception fallback), segment 1 with a
    // reply that is no memory (failed), segment 2 by the policy.
    const config = configSchema.parse({
      robot_id: 'r1',
      ...script.config,
      audio: { type: 'none' },
      store: { path: storePath },
      memorizer: { url: server.url, model: 'policy-v1', retries: 0, timeout_s: 1, fallback: true },
    });
    server.failNext({ kind: 'hang' });
    const replies = ['no memory here', '{"description": "A blue wall with an EXIT sign."}'];
    server.onChat = () => replies.shift() ?? '{"description": "unexpected request"}';
    const assembly = await Assembly.open(config, { logger: silentLogger, env: {} });
    try {
      const first = await ingestRecording({
        path: script.path,
        config,
        store: assembly.store,
        openPipeline: (options) => assembly.pipeline({ ...options, focus: null }),
      });
      assert.deepEqual(
        [first.stored, first.failed, first.fallback],
        [2, 1, 1],
        'the first ingest left a perception memory and a failed segment',
      );
    } finally {
      await assembly.close();
    }
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs the policy endpoint, --again and the recording; without the recording it lists what needs it', async () => {
    const noUrl = await run('--again', '--recording', script.path, ...flags());
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.err, /memorizer\.url is empty; --again re-memorizes with the policy model/);
    assert.equal((await run('--recording', script.path, '--memorizer.url', server.url, ...flags())).code, 2);

    const listed = await run('--again', '--memorizer.url', server.url, ...flags());
    assert.equal(listed.code, 2);
    assert.match(listed.err, /--recording <file\.mcap> is needed: a memory keeps no frames or audio/);
    assert.match(listed.err, /episode 0: 1 perception memories, 1 failed segments/);

    const other = await writeRecording({ path: join(dir, 'other.mcap'), durationS: 10, fps: 1, camera: 'compressed', audio: 'none' });
    const never = await run('--again', '--recording', other.path, '--memorizer.url', server.url, ...flags());
    assert.equal(never.code, 2);
    assert.match(never.err, /other\.mcap was never ingested into this store/);

    const down = await run('--again', '--recording', script.path, '--memorizer.url', 'http://127.0.0.1:9/v1', ...flags());
    assert.equal(down.code, 3);
    assert.match(down.err, /unreachable .*nothing was changed/);
    assert.equal((await memories())[0]!.source, 'perception');
  });

  it("replaces the perception memory under the same id, memorizes the failed segment and skips the policy's", async () => {
    const before = await memories();
    assert.deepEqual(
      before.map((m) => [m.segmentIndex, m.source]),
      [
        [0, 'perception'],
        [2, 'policy'],
      ],
    );
    const requestsBefore = server.chatRequests().length;
    const replies = [
      '{"description": "A green room with a sign reading KITCHEN."}',
      '{"description": "A red wall; a sign reads KEYS ON TABLE."}',
    ];
    server.onChat = () => replies.shift() ?? '{"description": "unexpected request"}';

    const { code, out, err } = await run(
      '--again',
      '--recording',
      script.path,
      '--memorizer.url',
      server.url,
      '--memorizer.model',
      'policy-v2',
      ...flags(),
    );
    assert.equal(code, 0, err);
    assert.match(
      out,
      /1 perception memories replaced by the policy's, 1 failed segments memorized, 1 already written by the policy, 0 failed/,
    );
    assert.equal(server.chatRequests().length - requestsBefore, 2, "the policy's own memory is not asked for again");

    const after = await memories();
    assert.deepEqual(
      after.map((m) => [m.id, m.source, m.model]),
      [
        [before[0]!.id, 'policy', 'policy-v2'],
        [after[1]!.id, 'policy', 'policy-v2'],
        [before[1]!.id, 'policy', 'policy-v1'],
      ],
    );
    assert.deepEqual(
      after.map((m) => m.text),
      ['A green room with a sign reading KITCHEN.', 'A red wall; a sign reads KEYS ON TABLE.', 'A blue wall with an EXIT sign.'],
    );
    const store = new SqliteMemoryStore({ path: storePath });
    assert.deepEqual(await store.failures('r1'), [], 'the failure is cleared');
    await store.close();

    const again = await run('--again', '--recording', script.path, '--memorizer.url', server.url, ...flags());
    assert.equal(again.code, 0);
    assert.match(again.out, /0 perception memories replaced .* 3 already written by the policy/);
  });

  it('refuses a damaged recording, naming the chunk, and reads it with --ignore-crc', async () => {
    const damaged = join(dir, 'damaged.mcap');
    const { chunkOffset } = await damagedCopy(script.path, damaged, { chunk: 0 });
    // The damage lies inside a chunk, outside the bytes a recording is known by: to this store's ingests the copy is
    // the recording the tests above memorized. It is ingested into a store of its own.
    storePath = join(dir, 'damaged.sqlite');
    const config = configSchema.parse({
      robot_id: 'r1',
      ...script.config,
      audio: { type: 'none' },
      store: { path: storePath },
      memorizer: { url: server.url, model: 'policy-v1', retries: 0, fallback: false },
    });
    let n = 0;
    server.onChat = () => `{"description": "Damaged scene ${++n}: a sign by a door."}`;
    const assembly = await Assembly.open(config, { logger: silentLogger, env: {} });
    try {
      const first = await ingestRecording({
        path: damaged,
        config,
        store: assembly.store,
        openPipeline: (options) => assembly.pipeline({ ...options, focus: null }),
        ignoreCrc: true,
      });
      assert.equal(first.stored, 3);
    } finally {
      await assembly.close();
    }

    const refused = await run('--again', '--recording', damaged, '--memorizer.url', server.url, ...flags());
    assert.equal(refused.code, 2);
    assert.match(
      refused.err,
      new RegExp(`damaged\\.mcap: the data section .* chunk 1 of \\d+ at offset ${chunkOffset} does not match its CRC`),
    );
    assert.match(refused.err, /run again with --ignore-crc/);
    const salvaged = await run('--again', '--ignore-crc', '--recording', damaged, '--memorizer.url', server.url, ...flags());
    assert.equal(salvaged.code, 0, salvaged.err);
    assert.match(salvaged.out, /3 already written by the policy/);
  });
});
