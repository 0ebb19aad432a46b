// The real agent as a child process (the CLI bundle, as systemd runs it), with its log
// kept in a bounded ring and its metrics scraped over HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../agent/bin/doorcast.js', import.meta.url));
const KEEP_LINES = 2000;
const STOP_MS = 15_000;

export class AgentProcess {
  #child: ChildProcess | undefined;
  readonly lines: string[] = [];
  /** Log lines seen, by message text (the pino `msg`), over every run. */
  readonly messages = new Map<string, number>();
  starts = 0;

  constructor(
    readonly config: string,
    readonly metricsPort: number,
    /** Extra environment and node flags (the soak's heap flags and memory reporter). */
    readonly extra: { env?: Record<string, string>; nodeArgs?: string[] } = {},
  ) {}

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): void {
    if (this.running) throw new Error('agent already running');
    this.starts++;
    const c = spawn(process.execPath, [...(this.extra.nodeArgs ?? []), BIN, 'run', '-c', this.config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOORCAST_LOG_LEVEL: 'info', ...this.extra.env },
    });
    // pino writes to stdout; a crash trace goes to stderr.
    for (const stream of [c.stdout!, c.stderr!]) {
      let rest = '';
      stream.on('data', (d: Buffer) => {
        const parts = (rest + d.toString()).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) this.#line(line);
      });
    }
    this.#child = c;
  }

  #line(line: string): void {
    this.lines.push(line);
    if (this.lines.length > KEEP_LINES) this.lines.splice(0, this.lines.length - KEEP_LINES);
    try {
      const msg = (JSON.parse(line) as { msg?: unknown }).msg;
      if (typeof msg === 'string') this.messages.set(msg, (this.messages.get(msg) ?? 0) + 1);
    } catch {
      // Not a log line (a crash trace): kept in `lines` only.
    }
  }

  /** Sends `signal` and waits for the exit (SIGKILL after STOP_MS). Resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const c = this.#child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), STOP_MS);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  kill(): Promise<number | null> {
    return this.stop('SIGKILL');
  }

  /** The metrics text, or '' while the agent is not serving it. */
  async metricsText(): Promise<string> {
    try {
      const r = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
      return r.ok ? await r.text() : '';
    } catch {
      return '';
    }
  }

  /** Sum of a metric's samples whose labels include every one in `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sumMetric(await this.metricsText(), name, labels);
  }
}

export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}
