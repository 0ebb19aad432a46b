// What the test services (redis.ts, postgres.ts) share: free loopback ports, bounded waits and
// one typed error, so a missing package fails loudly instead of skipping.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createConnection, createServer } from 'node:net';

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: 'missing-binary' | 'start-failed' | 'stop-failed' | 'command-failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs a command to completion within `ms`; rejects with its stderr. */
export function run(cmd: string, args: readonly string[], ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: ms, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new ServiceError('command-failed', `${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** True when something accepts a TCP connection on host:port within `ms`. */
export function canConnect(port: number, host = '127.0.0.1', ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Polls `check` every `everyMs` until true; throws after `ms` with `what` in the message. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 100_000; i++) {
    if (await check()) return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/** Throws unless `path` is an executable; tests never skip for a missing package (CI installs it). */
export function requireBinary(path: string, debianPackage: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new ServiceError('missing-binary', `${path} not found: install the Debian package '${debianPackage}' (.ci/run does)`);
  }
}

/** A private service for one test file: halt/resume keep its data (the chaos suite needs them). */
export interface TestService {
  readonly port: number;
  readonly dir: string;
  /** Stops the process, keeping its data: SIGTERM (clean), or SIGKILL when `hard`. */
  halt(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port and data. */
  resume(): Promise<void>;
  /** halt() then resume(). */
  restart(options?: { hard?: boolean }): Promise<void>;
  /** Stops it and deletes its directory. Idempotent. */
  destroy(): Promise<void>;
}
