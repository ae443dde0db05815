/**
 * Real PostgreSQL servers for tests: Debian's PostgreSQL 15 started from a fresh initdb in a temporary folder
 * (loopback port, unix socket in that folder, trust authentication), and PGlite (PostgreSQL in WebAssembly, with
 * pgvector) served over a socket to the same `pg` client.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** Connection string of an empty database (call `reset` to empty it again). */
  url: string;
  /** Drops everything in the database. */
  reset(): Promise<void>;
  /** Stops the server, terminating every connection, and starts it again on the same port and data (PostgreSQL 15 only). */
  restart?(): Promise<void>;
  /**
   * Sends `signal` to the server and every process of it (SIGSTOP: a server that stops answering, connections
   * open; SIGCONT: it answers again). PostgreSQL 15 only.
   */
  signal?(signal: 'SIGSTOP' | 'SIGCONT'): void;
  stop(): Promise<void>;
}

const BIN = '/usr/lib/postgresql/15/bin';

/**
 * Starts PostgreSQL 15 (apt-get install postgresql-15). As root, the server runs as user postgres. Tests run it with
 * fsync off; `durable` keeps PostgreSQL's defaults (each commit flushed to disk), for benchmarks.
 */
export async function startPostgres({ durable = false }: { durable?: boolean } = {}): Promise<TestPostgres> {
  if (!existsSync(join(BIN, 'postgres'))) {
    throw new Error(`startPostgres: no PostgreSQL 15 in ${BIN}; install it with: apt-get install -y postgresql-15`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'taskmem-pg-'));
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : undefined;
  if (asRoot) chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const run = (bin: string, args: string[]) =>
    (user ? ['runuser', ['-u', user, '--', join(BIN, bin), ...args]] : [join(BIN, bin), args]) as [string, string[]];
  execFileSync(...run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']), { stdio: 'pipe' });
  const port = await freePort();
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const launch = async () => {
    const server: ChildProcess = spawn(
      ...run('postgres', [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        ...(durable ? [] : ['-c', 'fsync=off']),
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    await waitUntilAccepting(
      url,
      () => server.exitCode !== null,
      () => log,
    );
    return { exited, launcher: server.pid! };
  };
  let { exited, launcher } = await launch();
  // The postmaster's own pid: as root, `server` is runuser, which does not pass signals on.
  const postmasterPid = () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const shutdown = async () => {
    process.kill(postmasterPid(), 'SIGINT');
    await exited;
  };
  return {
    url,
    reset: () => resetDatabase(url),
    async restart() {
      await shutdown();
      ({ exited, launcher } = await launch());
    },
    signal(signal) {
      // The launcher too: as root it is runuser, which stops itself when its child stops, and continues it after.
      const postmaster = postmasterPid();
      for (const pid of [launcher, postmaster, ...childrenOf(postmaster)]) {
        try {
          process.kill(pid, signal);
        } catch (error) {
          // A backend whose connection ended meanwhile.
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }
    },
    async stop() {
      await shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The pids whose parent is `parent` (the postmaster's backends and workers), from /proc. */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        // Fields after the command name, which is in parentheses and may hold spaces: state, then ppid.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Starts PGlite with pgvector behind a PostgreSQL-protocol socket on a free loopback port. */
export async function startPglite(): Promise<TestPostgres> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 16 });
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    reset: () => resetDatabase(url),
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

async function resetDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP EXTENSION IF EXISTS vector CASCADE');
  } finally {
    await client.end();
  }
}

async function waitUntilAccepting(url: string, died: () => boolean, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (died()) throw new Error(`startPostgres: the server exited:\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`startPostgres: no connection to ${url} within 20 s:\n${log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('freePort: no port'))));
    });
  });
}
