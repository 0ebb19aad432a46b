// A private PostgreSQL 15 for a test: initdb in a temp dir, a free 127.0.0.1 port, the socket in
// that dir (-k), fsync on (the store's durability is what the tests check), small buffers.
// postgres refuses to run as root, so as root it runs as the `postgres` system user (runuser).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, requireBinary, run, ServiceError, type TestService } from './service-process.js';

const BIN = '/usr/lib/postgresql/15/bin';
const RUNUSER = '/usr/sbin/runuser';
const START_S = 30;
const STOP_S = 20;

export interface PostgresService extends TestService {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** Creates an empty database (a fresh random name by default); returns its URL. */
  createDatabase(name?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
}

/** The uid and gid of the postgres system user, from /etc/passwd. */
function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new ServiceError('missing-binary', "no 'postgres' system user: install the Debian package 'postgresql' (.ci/run does)");
  }
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgres(): Promise<PostgresService> {
  for (const b of ['initdb', 'pg_ctl', 'postgres']) requireBinary(join(BIN, b), 'postgresql');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) requireBinary(RUNUSER, 'util-linux');
  // As root, every PostgreSQL program runs as the postgres user, which owns the temp dir.
  const as = (cmd: string, args: string[]): [string, string[]] => (asRoot ? [RUNUSER, ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const dir = mkdtempSync(join(tmpdir(), 'doorcast-pg-'));
  if (asRoot) {
    const u = postgresUser();
    chownSync(dir, u.uid, u.gid);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  const port = await freePort();
  const logTail = () => {
    try {
      return readFileSync(log, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '(no log)';
    }
  };

  try {
    // --no-sync: only the empty cluster skips fsync; the server itself runs with fsync=on.
    await run(...as(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']), 60_000);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new ServiceError('start-failed', `initdb failed: ${(err as Error).message}`, { cause: err });
  }

  const opts = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=on', '-c synchronous_commit=on', '-c shared_buffers=16MB',
    '-c max_connections=60', '-c unix_socket_permissions=0700', '-c log_min_messages=warning'].join(' ');
  let running = false;
  const resume = async () => {
    if (running) return;
    try {
      // -w -t: pg_ctl itself waits until the server accepts connections, at most START_S.
      await run(...as(join(BIN, 'pg_ctl'), ['-D', data, '-l', log, '-w', '-t', String(START_S), '-o', opts, 'start']), (START_S + 5) * 1000);
    } catch (err) {
      throw new ServiceError('start-failed', `postgres on port ${port} did not start: ${(err as Error).message}\n${logTail()}`, { cause: err });
    }
    running = true;
  };
  // A test process that dies without destroy() must not leave a server behind (bounded, sync).
  const onExit = () => {
    if (running) spawnSync(...as(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-t', '10', 'stop']), { timeout: 15_000, stdio: 'ignore' });
  };
  process.once('exit', onExit);
  const halt = async (o: { hard?: boolean } = {}) => {
    if (!running) return;
    // immediate = a crash as far as the data is concerned: no checkpoint, WAL replay at start.
    const mode = o.hard ? 'immediate' : 'fast';
    try {
      await run(...as(join(BIN, 'pg_ctl'), ['-D', data, '-m', mode, '-w', '-t', String(STOP_S), 'stop']), (STOP_S + 5) * 1000);
    } catch (err) {
      throw new ServiceError('stop-failed', `postgres did not stop: ${(err as Error).message}\n${logTail()}`, { cause: err });
    }
    running = false;
  };
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const admin = async <T>(f: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      return await f(c);
    } finally {
      await c.end();
    }
  };

  try {
    await resume();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    dir,
    url,
    halt,
    resume,
    async restart(o) {
      await halt(o);
      await resume();
    },
    async createDatabase(name = `t_${randomBytes(6).toString('hex')}`) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new TypeError(`createDatabase: bad name ${name}`);
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      return url(name);
    },
    async dropDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new TypeError(`dropDatabase: bad name ${name}`);
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
    async destroy() {
      process.off('exit', onExit);
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
