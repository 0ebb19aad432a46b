// A loopback TCP proxy for chaos tests: agents connect to it, it forwards to a broker, and it
// can delay bytes, drop (RST), cut (FIN), black-hole and refuse, switch its upstream, and run
// a schedule of those. Every timer and socket it made is released by close().
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  constructor(
    readonly code: 'closed' | 'listen-failed' | 'bad-step',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Target {
  port: number;
  host?: string;
}

export interface Delay {
  ms: number;
  /** Uniform extra delay in [0, jitterMs); bytes are never reordered. */
  jitterMs?: number;
}

/** What the proxy does to connections; see `apply`. */
export type Step =
  | { kind: 'pass' }
  | { kind: 'delay'; delay: Delay }
  | { kind: 'drop' }
  | { kind: 'cut' }
  | { kind: 'blackhole' }
  | { kind: 'refuse' }
  | { kind: 'accept' }
  | { kind: 'target'; target: Target };

/** A step `afterMs` after the previous one finished (the first: after the schedule starts). */
export type TimedStep = Step & { afterMs: number };

export interface ProxyStats {
  accepted: number;
  refused: number;
  open: number;
  drops: number;
  cuts: number;
  /** Bytes forwarded client → upstream, and upstream → client. */
  bytesUp: number;
  bytesDown: number;
  /** Bytes read and thrown away by black-holed connections. */
  swallowed: number;
  /** Connections that could not reach the upstream. */
  upstreamFailures: number;
}

const HOST = '127.0.0.1';

/** One proxied connection: the client's socket and ours to the upstream. */
export class ProxyConnection {
  blackholed = false;
  bytesUp = 0;
  bytesDown = 0;
  readonly #timers = new Set<NodeJS.Timeout>();
  // Delayed chunks in each direction, due times ascending.
  readonly #queue: Record<'up' | 'down', { due: number; d: Buffer }[]> = { up: [], down: [] };
  #closed = false;

  constructor(
    readonly id: number,
    readonly client: Socket,
    readonly upstream: Socket,
    readonly target: Target,
    private readonly proxy: ChaosProxy,
  ) {
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (d: Buffer) => this.#forward('up', d));
    upstream.on('data', (d: Buffer) => this.#forward('down', d));
    // A half-close passes through as one, unless black-holed: then nobody hears of it.
    client.on('end', () => this.#endOther(upstream));
    upstream.on('end', () => this.#endOther(client));
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
    });
    upstream.on('error', () => {
      // No upstream (a dead node): the client hears a reset, as from a balancer with no backend.
      if (!connected) {
        proxy.stats.upstreamFailures++;
        if (!client.destroyed) client.resetAndDestroy();
      }
    });
    client.on('error', () => {});
    for (const s of [client, upstream]) {
      s.on('close', () => {
        // Black-holed, one side closing is not heard by the other: it must find out itself.
        if (!this.blackholed || (client.destroyed && upstream.destroyed)) this.destroy();
      });
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** RST on both sides: what a crashed node or a NAT timeout looks like. */
  drop(): void {
    if (this.#closed) return;
    this.proxy.stats.drops++;
    this.#clearTimers();
    for (const s of [this.client, this.upstream]) if (!s.destroyed) s.resetAndDestroy();
    this.destroy();
  }

  /** FIN on both sides: an orderly close neither end asked for. */
  cut(): void {
    if (this.#closed) return;
    this.proxy.stats.cuts++;
    this.#clearTimers();
    this.client.end();
    this.upstream.end();
    // Destroyed soon after either way, so a peer that never closes its side cannot keep it.
    this.#later(() => this.destroy(), 1000);
  }

  /** From now on both directions are read and thrown away; nothing is closed. */
  blackhole(): void {
    if (this.#closed) return;
    this.blackholed = true;
    this.#clearTimers();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimers();
    this.client.destroy();
    this.upstream.destroy();
    this.proxy.forget(this);
  }

  #endOther(other: Socket): void {
    if (!this.blackholed && !other.destroyed) other.end();
  }

  #forward(dir: 'up' | 'down', d: Buffer): void {
    if (this.blackholed) {
      this.proxy.stats.swallowed += d.length;
      return;
    }
    const to = dir === 'up' ? this.upstream : this.client;
    const delay = this.proxy.delay;
    const q = this.#queue[dir];
    if (!delay && q.length === 0) {
      this.#write(dir, to, d);
      return;
    }
    const wait = delay ? delay.ms + Math.random() * (delay.jitterMs ?? 0) : 0;
    // Never before the chunk ahead of it: jitter delays, it does not reorder.
    const due = Math.max(Date.now() + wait, q.at(-1)?.due ?? 0);
    q.push({ due, d });
    if (q.length === 1) this.#pump(dir, to);
  }

  /** One timer per direction, for the chunk at the head of its queue. */
  #pump(dir: 'up' | 'down', to: Socket): void {
    const q = this.#queue[dir];
    const now = Date.now();
    while (q.length > 0 && q[0]!.due <= now) this.#write(dir, to, q.shift()!.d);
    if (q.length > 0) this.#later(() => this.#pump(dir, to), q[0]!.due - now);
  }

  #write(dir: 'up' | 'down', to: Socket, d: Buffer): void {
    if (this.blackholed || to.destroyed || !to.writable) return;
    to.write(d);
    if (dir === 'up') {
      this.bytesUp += d.length;
      this.proxy.stats.bytesUp += d.length;
    } else {
      this.bytesDown += d.length;
      this.proxy.stats.bytesDown += d.length;
    }
  }

  #later(f: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      f();
    }, ms);
    this.#timers.add(t);
  }

  #clearTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#queue.up.length = 0;
    this.#queue.down.length = 0;
  }
}

export class ChaosProxy {
  readonly stats: ProxyStats = { accepted: 0, refused: 0, open: 0, drops: 0, cuts: 0, bytesUp: 0, bytesDown: 0, swallowed: 0, upstreamFailures: 0 };
  delay: Delay | undefined;
  readonly #server: Server;
  readonly #conns = new Set<ProxyConnection>();
  readonly #scheduleTimers = new Set<NodeJS.Timeout>();
  #target: Target;
  #refusing = false;
  #blackholeNew = false;
  #nextId = 1;
  #closed = false;
  port = 0;

  private constructor(target: Target) {
    this.#target = target;
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(target: Target): Promise<ChaosProxy> {
    const p = new ChaosProxy(target);
    await new Promise<void>((resolve, reject) => {
      p.#server.once('error', (err) => reject(new ProxyError('listen-failed', `proxy cannot listen: ${err.message}`, { cause: err })));
      p.#server.listen(0, HOST, () => resolve());
    });
    const addr = p.#server.address();
    p.port = typeof addr === 'object' && addr ? addr.port : 0;
    return p;
  }

  url(scheme = 'mqtt'): string {
    return `${scheme}://${HOST}:${this.port}`;
  }

  get target(): Target {
    return this.#target;
  }

  /** Open connections, oldest first. */
  get connections(): ProxyConnection[] {
    return [...this.#conns];
  }

  /** What `step` describes, applied now. drop/cut/blackhole act on open connections too. */
  apply(step: Step): void {
    if (this.#closed) throw new ProxyError('closed', 'proxy closed');
    switch (step.kind) {
      case 'pass':
        this.delay = undefined;
        this.#refusing = false;
        this.#blackholeNew = false;
        return;
      case 'delay':
        if (!(step.delay.ms >= 0) || !((step.delay.jitterMs ?? 0) >= 0)) throw new ProxyError('bad-step', `delay: ms and jitterMs must be ≥ 0, got ${JSON.stringify(step.delay)}`);
        this.delay = step.delay;
        return;
      case 'drop':
        for (const c of this.#conns) c.drop();
        return;
      case 'cut':
        for (const c of this.#conns) c.cut();
        return;
      case 'blackhole':
        // Open connections go dark for good (their streams have lost bytes); new ones until 'pass'.
        this.#blackholeNew = true;
        for (const c of this.#conns) c.blackhole();
        return;
      case 'refuse':
        this.#refusing = true;
        return;
      case 'accept':
        this.#refusing = false;
        return;
      case 'target':
        this.#target = step.target;
        return;
      default: {
        const never: never = step;
        throw new ProxyError('bad-step', `unknown step ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Runs timed steps in order. Resolves when the last has been applied, or with false as soon
   * as close() cancels it.
   */
  schedule(steps: readonly TimedStep[]): Promise<boolean> {
    return new Promise((resolve) => {
      const next = (i: number) => {
        const s = steps[i];
        if (!s) return resolve(true);
        const t = setTimeout(() => {
          this.#scheduleTimers.delete(t);
          if (this.#closed) return resolve(false);
          this.apply(s);
          next(i + 1);
        }, s.afterMs);
        // Cancelled by close(): the promise settles then, not never.
        Object.assign(t, { cancel: () => resolve(false) });
        this.#scheduleTimers.add(t);
      };
      next(0);
    });
  }

  /** Internal: a connection has closed. */
  forget(c: ProxyConnection): void {
    if (this.#conns.delete(c)) this.stats.open = this.#conns.size;
  }

  #accept(client: Socket): void {
    if (this.#refusing || this.#closed) {
      // The kernel has completed the handshake; an immediate RST is what a REJECT with
      // tcp-reset looks like to the client.
      this.stats.refused++;
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    const target = this.#target;
    const upstream = createConnection({ port: target.port, host: target.host ?? HOST });
    const c = new ProxyConnection(this.#nextId++, client, upstream, target, this);
    this.#conns.add(c);
    this.stats.open = this.#conns.size;
    if (this.#blackholeNew) c.blackhole();
  }

  /** Stops listening, cancels the schedule, destroys every socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#scheduleTimers) {
      clearTimeout(t);
      (t as NodeJS.Timeout & { cancel?: () => void }).cancel?.();
    }
    this.#scheduleTimers.clear();
    for (const c of [...this.#conns]) c.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
