// The processes of the broker bench: the doorcast broker (its real CLI), a bare aedes,
// Mosquitto, and the load generators. Every one is registered in a Procs, killed at the end.
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import type { Counts, Reply, Request } from './load-protocol.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BROKER_BIN = join(REPO, 'broker/bin/doorcast-broker.js');
const GENERATOR = fileURLToPath(new URL('./load-generator.ts', import.meta.url));
const BARE_AEDES = fileURLToPath(new URL('./aedes-bare.ts', import.meta.url));

export const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU time (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** The soft limit on open files this process (and what it spawns) has. */
export function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m?.[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m?.[1] ?? 1024);
}

/** Throws unless `connections` fit under the open file limit (one fd each, plus 1,000 spare). */
export function requireOpenFiles(connections: number, knob: string): void {
  const fds = openFileLimit();
  if (fds < connections + 1000) throw new Error(`open file limit ${fds} is too low for ${connections} connections: raise ulimit -n or set ${knob}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process the bench started; killAll() in a finally, SIGKILL if the bench itself exits first. */
export class Procs {
  readonly #list: ChildProcess[] = [];
  readonly #onExit = () => {
    for (const p of this.#list) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  };

  constructor() {
    process.once('exit', this.#onExit);
  }

  add<T extends ChildProcess>(p: T): T {
    this.#list.push(p);
    // A spawn failure (ENOENT) is reported by the readiness wait, not as an uncaught 'error'.
    p.on('error', (e) => {
      spawnErrors.set(p, e);
    });
    return p;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.#list.splice(0).map((p) => stopProcess(p)));
    process.off('exit', this.#onExit);
  }
}

const spawnErrors = new WeakMap<ChildProcess, Error>();

/** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
export async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves with the first match of `re` in the process's output, or rejects on exit/timeout. */
function waitOutput(p: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error(`no ${re} within ${ms} ms: ${text.slice(-500)}`)), ms);
    const onData = (b: Buffer) => {
      text = (text + b.toString()).slice(-4000);
      const m = re.exec(text);
      if (m) done(null, m);
    };
    const onExit = (code: number | null) => done(new Error(`exited (${code}) before ready: ${text.slice(-500)}`));
    const onError = (e: Error) => done(e);
    const done = (err: Error | null, m?: RegExpExecArray) => {
      clearTimeout(timer);
      p[stream]?.off('data', onData);
      p.off('exit', onExit);
      p.off('error', onError);
      if (err) reject(err);
      else resolve(m!);
    };
    p[stream]?.on('data', onData);
    p.once('exit', onExit);
    p.once('error', onError);
  });
}

export interface LoadGenerator {
  pid: number;
  request(req: Request, timeoutMs: number): Promise<{ counts: Counts; ms: number }>;
}

export async function forkLoadGenerator(procs: Procs): Promise<LoadGenerator> {
  const p = procs.add(fork(GENERATOR, [], { cwd: REPO, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const waiting = new Map<number, (r: Reply) => void>();
  p.on('message', (r: Reply) => waiting.get(r.id)?.(r));
  const call = (id: number, req: Request | null, timeoutMs: number) =>
    new Promise<{ counts: Counts; ms: number }>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`load generator: ${req?.op ?? 'start'} took over ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, (r) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (r.ok) resolve({ counts: r.counts, ms: r.ms });
        else reject(new Error(`load generator: ${req?.op}: ${r.error}`));
      });
      if (req) p.send({ id, req });
    });
  await call(0, null, 30_000);
  let next = 1;
  return { pid: p.pid!, request: (req, timeoutMs) => call(next++, req, timeoutMs) };
}

export interface DoorcastBroker {
  pid: number;
  url: string;
  httpPort: number;
  startSeconds: number;
  /** SIGTERM (SIGKILL after 5 s); resolves with its exit code (null if killed) once it has exited. */
  stop(): Promise<number | null>;
}

export interface BrokerNodeOptions {
  /** Names the config file and prefixes the node's log lines (several nodes in one dir). */
  name?: string;
  /** More top-level YAML lines, e.g. `cluster:` and `store:` (deploy/cloud). */
  config?: string[];
}

/** The broker as deployed: `doorcast-broker serve --config`, in its own process. */
export async function startDoorcastBroker(procs: Procs, dir: string, stateDir: string, o: BrokerNodeOptions = {}): Promise<DoorcastBroker> {
  const name = o.name ?? 'doorcast-broker';
  const config = join(dir, `${name}.yaml`);
  // Manifest refresh hourly: its 30 s default would recompile every device inside a window.
  writeFileSync(
    config,
    [
      'version: 1',
      `stateDir: ${stateDir}`,
      'mqtt: { tcp: { host: 127.0.0.1, port: 0 } }',
      'http: { host: 127.0.0.1, port: 0, websocket: false, metrics: public }',
      'manifest: { refreshIntervalMs: 3600000 }',
      'log: { level: error }',
      ...(o.config ?? []),
      '',
    ].join('\n'),
  );
  const t0 = performance.now();
  // e.g. DOORCAST_BENCH_BROKER_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to see where the time goes.
  const flags = (process.env.DOORCAST_BENCH_BROKER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const p = procs.add(spawn(process.execPath, [...flags, BROKER_BIN, 'serve', '--config', config], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] }));
  const m = await waitOutput(p, 'stderr', /doorcast-broker: mqtt (\d+) mqtts \S+ http (\d+)/, 120_000);
  p.stderr?.on('data', (b: Buffer) => process.stderr.write(`[${name}] ${b.toString()}`));
  const stop = async () => {
    await stopProcess(p);
    return p.exitCode;
  };
  return { pid: p.pid!, url: `mqtt://127.0.0.1:${m[1]}`, httpPort: Number(m[2]), startSeconds: (performance.now() - t0) / 1000, stop };
}

/** The broker's own count of authenticated device connections (doorcast_broker_connected_clients). */
export async function brokerDeviceConnections(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  return Number(/^doorcast_broker_connected_clients\{kind="device"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

export async function brokerMetricSum(httpPort: number, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

export async function startBareAedes(procs: Procs): Promise<{ pid: number; url: string }> {
  const p = procs.add(spawn(process.execPath, ['--import', 'tsx', BARE_AEDES], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] }));
  const m = await waitOutput(p, 'stdout', /port (\d+)/, 30_000);
  p.stdout?.resume();
  return { pid: p.pid!, url: `mqtt://127.0.0.1:${m[1]}` };
}

/**
 * Debian's Mosquitto with a password file holding the same users as the doorcast broker.
 * `user`: as root, Mosquitto would drop to its own user and lose the 0700 temp dir.
 */
export async function startMosquitto(procs: Procs, dir: string, users: { username: string; password: string }[]): Promise<{ pid: number; url: string }> {
  const passwd = join(dir, 'mosquitto.passwd');
  writeFileSync(passwd, users.map((u) => `${u.username}:${u.password}\n`).join(''), { mode: 0o600 });
  execFileSync('mosquitto_passwd', ['-U', passwd]);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwd}\npersistence false\nuser ${userInfo().username}\n`);
  const p = procs.add(spawn('mosquitto', ['-c', conf], { stdio: 'ignore' }));
  const url = `mqtt://127.0.0.1:${port}`;
  const u = users[0]!;
  for (let i = 0; i < 100; i++) {
    try {
      const c = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 2000, clientId: `${u.username}/probe`, username: u.username, password: u.password });
      await c.endAsync(true);
      return { pid: p.pid!, url };
    } catch {
      if (p.exitCode !== null || spawnErrors.has(p)) break;
      await sleep(100);
    }
  }
  throw new Error(`mosquitto did not come up${spawnErrors.has(p) ? `: ${spawnErrors.get(p)!.message}` : ''}`);
}
