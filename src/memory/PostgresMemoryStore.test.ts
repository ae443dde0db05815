import assert from 'node:assert/strict';
import type { Logger } from '../log.js';
import { PostgresMemoryStore } from './PostgresMemoryStore.js';
import { postgresMigrations } from './postgresMigrations.js';
import { memoryStoreContract, sampleMemory, type StoreFactory } from './MemoryStore.contract.test.js';
import { identityStoreContract } from './IdentityStore.contract.test.js';
import { startPglite, startPostgres, type TestPostgres } from '../../test/support/postgres.js';

// PGlite runs inside this process and cannot be restarted; the restart test runs on the real server only.
const servers: [string, () => Promise<TestPostgres>, RegExp, { restarts: boolean }][] = [
  ['PostgreSQL 15', startPostgres, /vectors: no pgvector on this server: bytea/, { restarts: true }],
  ['PGlite with pgvector', startPglite, /vectors: pgvector/, { restarts: false }],
];

for (const [name, start, vectorLine, { restarts }] of servers) {
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
    };
    memoryStoreContract(name, factory);
    identityStoreContract(name, factory);

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

    it('refuses a database written by a newer schema and names the server without its password', async () => {
      await server.reset();
      await (await PostgresMemoryStore.open({ url: server.url })).close();
      const admin = await PostgresMemoryStore.open({ url: server.url });
      await admin.put(sampleMemory());
      await admin.close();
      const pg = (await import('pg')).default;
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
