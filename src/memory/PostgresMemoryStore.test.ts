import assert from 'node:assert/strict';
import type { Logger } from '../log.js';
import { PostgresMemoryStore } from './PostgresMemoryStore.js';
import { PostgresConnection } from './sql/PostgresConnection.js';
import { postgresMigrations } from './postgresMigrations.js';
import {
  assertUnnamedVectorsMigrated,
  FORGOTTEN_WORD,
  memoryStoreContract,
  sampleMemory,
  schemaFourRow,
  storeQuotedMemory,
  type StoreFactory,
  UNNAMED_VECTOR_MEMORIES,
  unnamedVector,
} from './MemoryStore.contract.test.js';
import { identityRecordsContract } from './IdentityRecords.contract.test.js';
import { binaryCode } from './BinaryVectorIndex.js';
import { embeddingToBytes } from './embedding.js';
import pg from 'pg';
import { startPglite, startPostgres, type TestPostgres } from '../../test/support/postgres.js';
import { inFolder, randomFace } from '../../test/support/storeBytes.js';

// PGlite runs inside this process and cannot be restarted; the restart test runs on the real server only.
const servers: [string, () => Promise<TestPostgres>, RegExp, { restarts: boolean; pgvector: boolean }][] = [
  ['PostgreSQL 15', startPostgres, /vectors: no pgvector on this server: bytea/, { restarts: true, pgvector: false }],
  ['PGlite with pgvector', startPglite, /vectors: pgvector/, { restarts: false, pgvector: true }],
];

for (const [name, start, vectorLine, { restarts, pgvector }] of servers) {
  describe(`PostgresMemoryStore on ${name}`, function () {
    this.timeout(60_000);
    let server: TestPostgres;
    before(async () => {
      server = await start();
    });
    // Every store a test opens is closed by that test (or the contract's afterEach) before the server stops.
    after(async () => {
      await server?.stop();
    });

    const factory: StoreFactory = {
      open: async (options) => {
        await server.reset();
        return PostgresMemoryStore.open({ url: server.url, ...options });
      },
      reopen: async (options) => PostgresMemoryStore.open({ url: server.url, ...options }),
      analyze: async () => {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        try {
          await client.query('ANALYZE memories');
        } finally {
          await client.end();
        }
      },
    };
    memoryStoreContract(name, factory);
    identityRecordsContract(name, factory);

    it('gives concurrent writers of one robot, on separate stores, distinct episodes', async () => {
      await server.reset();
      // SQLite's writers are separate processes, each blocking on the file lock (test/pipeline/ingestWriters.test.ts).
      const stores = await Promise.all([0, 1, 2, 3].map(() => PostgresMemoryStore.open({ url: server.url })));
      try {
        const episodes = await Promise.all(
          Array.from({ length: 24 }, (_, i) =>
            stores[i % stores.length]!.claimEpisode({
              robotId: 'r1',
              source: `recording:${i}`,
              ordinal: 0,
              holder: `host:${i}:x`,
              now: 0,
              leaseMs: 30_000,
            }),
          ),
        );
        assert.deepEqual(
          [...episodes].sort((a, b) => a - b),
          Array.from({ length: 24 }, (_, i) => i),
        );
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('says at startup which vector search it uses', async () => {
      await server.reset();
      const lines: string[] = [];
      const logger: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
      const store = await PostgresMemoryStore.open({ url: server.url, logger });
      await store.close();
      assert.match(lines.join('\n'), vectorLine);
      assert.match(lines.join('\n'), new RegExp(`schema ${postgresMigrations(false).length}, 0 memories`));
    });

    if (restarts) {
      it("forgets a person's embeddings from the table files, not only from the tables, and keeps everyone else's", async () => {
        await server.reset();
        const store = await PostgresMemoryStore.open({ url: server.url });
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ folder: string }>(
            `SELECT current_setting('data_directory') || '/base/' || oid AS folder FROM pg_database WHERE datname = current_database()`,
          );
          // What the server holds in its buffers is written to the files first.
          const onDisk = async (vectors: Float32Array[]) => {
            await client.query('CHECKPOINT');
            return inFolder(rows[0]!.folder, vectors);
          };
          const hers = [randomFace(), randomFace(), randomFace()];
          const his = randomFace();
          const { id } = await store.createIdentity({ memoryId: 'r/0/1', stamp: 1n, embedding: hers[0]! });
          // Keeping one embedding drops the first two as the later ones come: dead rows until the tables are rewritten.
          await store.observeIdentity(id, { memoryId: 'r/0/2', stamp: 2n, embedding: hers[1]! }, 1);
          await store.observeIdentity(id, { memoryId: 'r/0/3', stamp: 3n, embedding: hers[2]! }, 1);
          await store.createIdentity({ memoryId: 'r/0/3', stamp: 3n, embedding: his });
          assert.deepEqual(await onDisk([hers[2]!, his]), [true, true]);
          assert.equal((await store.forgetIdentity(id))?.erased, true);
          assert.deepEqual(await onDisk([...hers, his]), [false, false, false, true]);
        } finally {
          await client.end();
          await store.close();
        }
      });

      it('keeps working across a server restart, warning once about the dropped connections', async () => {
        await server.reset();
        const warnings: string[] = [];
        const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
        const store = await PostgresMemoryStore.open({ url: server.url, logger });
        try {
          await Promise.all([store.put(sampleMemory({ start: 1n })), store.count(), store.recall({ text: 'mug' })]);
          await server.restart!();
          assert.equal(await store.put(sampleMemory({ start: 2n })), true);
          assert.equal(await store.count(), 2);
          assert.equal(warnings.length, 1, warnings.join('\n'));
          assert.match(
            warnings[0]!,
            /closed an idle connection \(terminating connection due to administrator command\); the next query opens a new one/,
          );
        } finally {
          await store.close();
        }
      });
    }

    if (restarts) {
      it('holds a write made while the server restarts until it is back, then stores it once', async () => {
        await server.reset();
        const warnings: string[] = [];
        const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
        const store = await PostgresMemoryStore.open({ url: server.url, logger });
        try {
          await store.put(sampleMemory({ start: 1n }));
          // The shutdown signal is sent before restart() first waits: both writes meet a server going away.
          const restarted = server.restart!();
          const written = await Promise.all([store.put(sampleMemory({ start: 2n })), store.put(sampleMemory({ start: 3n }))]);
          await restarted;
          assert.deepEqual(written, [true, true]);
          assert.equal(await store.count(), 3);
          assert.match(warnings.join('\n'), /cannot be reached \(.*\); trying again for up to a minute|closed an idle connection/);
        } finally {
          await store.close();
        }
      });

      it('never tries a timed-out statement or transaction again: it fails once, naming store.query_timeout_s', async () => {
        const reconnects: Error[] = [];
        const sql = new PostgresConnection({
          url: server.url,
          maxConnections: 2,
          owner: 'test',
          connectTimeoutMs: 5000,
          queryTimeoutMs: 300,
          onReconnecting: (error) => reconnects.push(error),
        });
        try {
          await assert.rejects(sql.run('SELECT pg_sleep(2)'), /ran longer than store\.query_timeout_s \(0\.3 s\)/);
          let runs = 0;
          await assert.rejects(
            sql.transaction(async (tx) => {
              runs++;
              await tx.run('SELECT pg_sleep(2)');
            }),
            /ran longer than store\.query_timeout_s/,
          );
          assert.equal(runs, 1, 'the transaction ran once');
          assert.deepEqual(reconnects, [], 'a timeout is not a lost connection');
          assert.equal((await sql.get<{ one: number }>('SELECT 1 AS one'))?.one, 1, 'the connection still works');
        } finally {
          await sql.close();
        }
      });
    }

    if (pgvector) {
      it('gives each embedding model an HNSW index of its own, at its dimension, and searches each apart', async () => {
        await server.reset();
        const store = await PostgresMemoryStore.open({ url: server.url });
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        try {
          await store.put(sampleMemory({ start: 1n, text: 'a red mug' }), { model: 'small', vector: Float32Array.from([1, 0, 0]) });
          await store.put(sampleMemory({ start: 2n, text: 'a blue cup' }), { model: 'small', vector: Float32Array.from([0, 1, 0]) });
          await store.put(sampleMemory({ start: 3n, text: 'a green box' }), { model: "o'large", vector: new Float32Array(2500).fill(0.5) });
          const { rows } = await client.query<{ indexdef: string }>(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'memory_vectors' AND indexdef LIKE '%hnsw%' ORDER BY indexdef",
          );
          assert.equal(rows.length, 2, rows.map((r) => r.indexdef).join('\n'));
          assert.ok(
            rows.some((r) => /\(\(vector\)::halfvec\(2500\)\) halfvec_cosine_ops\) WHERE \(model = 'o''large'::text\)/.test(r.indexdef)),
          );
          assert.ok(rows.some((r) => /\(\(vector\)::vector\(3\)\) vector_cosine_ops\) WHERE \(model = 'small'::text\)/.test(r.indexdef)));
          const nearest = await store.recall({ vector: { model: 'small', vector: Float32Array.from([0.1, 1, 0]) }, limit: 2 });
          assert.deepEqual(
            nearest.memories.map((m) => m.memory.text),
            ['a blue cup', 'a red mug'],
          );
          const large = await store.recall({ vector: { model: "o'large", vector: new Float32Array(2500).fill(0.4) }, limit: 5 });
          assert.deepEqual(
            large.memories.map((m) => m.memory.text),
            ['a green box'],
          );
        } finally {
          await client.end();
          await store.close();
        }
      });
    }

    it('migrates the vectors of schema 4, which had no model name, to the unknown model, searchable and apart', async () => {
      await server.reset();
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        if (pgvector) await client.query('CREATE EXTENSION vector');
        await client.query('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (4)');
        for (const migration of postgresMigrations(pgvector).slice(0, 4)) await client.query(migration);
        for (const [i, memory] of UNNAMED_VECTOR_MEMORIES.entries()) {
          const row = schemaFourRow(memory);
          const columns = Object.keys(row);
          const { rows } = await client.query<{ seq: string }>(
            `INSERT INTO memories (${columns.join(', ')}) VALUES (${columns.map((_, k) => `$${k + 1}`).join(', ')}) RETURNING seq`,
            Object.values(row),
          );
          const seq = rows[0]!.seq;
          if (pgvector)
            await client.query('INSERT INTO memory_vectors (seq, embedding) VALUES ($1, $2::vector)', [
              seq,
              `[${unnamedVector(i).join(',')}]`,
            ]);
          else
            await client.query('INSERT INTO memory_vectors (seq, code, embedding) VALUES ($1, $2, $3)', [
              seq,
              Buffer.from(binaryCode(unnamedVector(i))),
              embeddingToBytes(unnamedVector(i)),
            ]);
        }
        await client.query("INSERT INTO store_meta (key, value) VALUES ('vector_dims', '16')");
      } finally {
        await client.end();
      }
      const lines: string[] = [];
      const logger: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: () => {}, error: () => {} };
      const store = await PostgresMemoryStore.open({ url: server.url, logger });
      try {
        assert.match(lines.join('\n'), new RegExp(`migrated .* to schema ${postgresMigrations(false).length}`));
        await assertUnnamedVectorsMigrated(store);
      } finally {
        await store.close();
      }
    });

    it('forget leaves the forgotten word in no row of any table, the full-text vectors included', async () => {
      await server.reset();
      const store = await PostgresMemoryStore.open({ url: server.url, thumbnails: true });
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      /** Tables with a row that holds the word in any column, as the server writes each row as text. */
      const holding = async () => {
        const { rows: tables } = await client.query<{ name: string }>(
          'SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1',
        );
        const found: string[] = [];
        for (const { name } of tables) {
          const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}" t WHERE t::text ILIKE $1`, [
            `%${FORGOTTEN_WORD}%`,
          ]);
          if (Number(rows[0]!.n) > 0) found.push(name);
        }
        return found;
      };
      try {
        const forgotten = await storeQuotedMemory(store);
        assert.deepEqual(await holding(), ['answers', 'memories', 'preferences'], 'the word is everywhere before');
        assert.deepEqual((await store.forget({ ids: [forgotten.id] })).length, 1);
        assert.deepEqual(await holding(), [], 'and nowhere after');
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM memories WHERE search @@ to_tsquery('english', $1)`, [
          FORGOTTEN_WORD,
        ]);
        assert.equal(Number(rows[0]!.n), 0, 'no full-text vector holds it');
      } finally {
        await client.end();
        await store.close();
      }
    });

    it('refuses a database written by a newer schema and names the server without its password', async () => {
      await server.reset();
      await (await PostgresMemoryStore.open({ url: server.url })).close();
      const admin = await PostgresMemoryStore.open({ url: server.url });
      await admin.put(sampleMemory());
      await admin.close();
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query('UPDATE schema_version SET version = 99');
      await client.end();
      const url = server.url.replace('postgres@', 'postgres:secret@');
      await assert.rejects(PostgresMemoryStore.open({ url }), (error: Error) => {
        assert.match(error.message, new RegExp(`schema version 99; this taskmem knows versions up to ${postgresMigrations(false).length}`));
        assert.ok(!error.message.includes('secret'));
        return true;
      });
    });
  });
}
