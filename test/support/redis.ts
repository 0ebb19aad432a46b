// A private redis-server for a test: a free 127.0.0.1 port, data in a temp dir, append-only
// file fsynced on every write so a restart (or kill -9) keeps what Redis acknowledged.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireBinary, ServiceError, type TestService, waitFor } from './service-process.js';

const REDIS_SERVER = '/usr/bin/redis-server';
const START_MS = 15_000;
const STOP_MS = 10_000;

export interface RedisService extends TestService {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
}

/** PING over a raw socket: true on +PONG (false while loading the AOF, or not listening). */
function ping(port: number, ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    let text = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      text += d.toString();
      if (text.includes('\r\n')) done(text.startsWith('+PONG'));
    });
    sock.once('error', () => done(false));
  });
}

export async function startRedis(): Promise<RedisService> {
  requireBinary(REDIS_SERVER, 'redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'doorcast-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const log = join(dir, 'redis.log');
  const logTail = () => {
    try {
      return readFileSync(log, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const resume = async () => {
    if (child) return;
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', log, '--daemonize', 'no',
      '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'yes', '--maxclients', '1000'];
    const c = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    child = c;
    let failed: Error | undefined;
    c.once('error', (err) => {
      failed = err;
    });
    c.once('exit', () => {
      if (child === c) child = undefined;
    });
    try {
      await waitFor(async () => {
        if (failed || c.exitCode !== null) throw new ServiceError('start-failed', `redis-server exited: ${failed?.message ?? c.exitCode}\n${logTail()}`);
        return ping(port);
      }, START_MS, `redis-server on port ${port} ready`);
    } catch (err) {
      c.kill('SIGKILL');
      child = undefined;
      throw err instanceof ServiceError ? err : new ServiceError('start-failed', `${(err as Error).message}\n${logTail()}`, { cause: err });
    }
  };

  const halt = async (o: { hard?: boolean } = {}) => {
    const c = child;
    if (!c) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(o.hard ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), STOP_MS);
    await exited;
    clearTimeout(timer);
    child = undefined;
  };

  // A test process that dies without destroy() must not leave a server behind.
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  await resume();
  return {
    port,
    dir,
    url: `redis://127.0.0.1:${port}`,
    halt,
    resume,
    async restart(o) {
      await halt(o);
      await resume();
    },
    async destroy() {
      process.off('exit', onExit);
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
