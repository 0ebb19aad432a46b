// The chaos proxy on real loopback sockets: each fault as a client and an upstream see it.
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/service-process.js';
import { ChaosProxy } from './proxy.js';

interface Upstream {
  server: Server;
  port: number;
  sockets: Socket[];
  received: Buffer[];
}

/** An upstream that records what it receives and echoes it back with a prefix. */
async function upstream(tag: string): Promise<Upstream> {
  const u: Upstream = { server: createServer(), port: 0, sockets: [], received: [] };
  u.server.on('connection', (s) => {
    u.sockets.push(s);
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      u.received.push(d);
      s.write(`${tag}:${d}`);
    });
  });
  await new Promise<void>((r) => u.server.listen(0, '127.0.0.1', r));
  u.port = (u.server.address() as { port: number }).port;
  return u;
}

function connect(port: number): Promise<Socket> {
  const s = createConnection({ port, host: '127.0.0.1' });
  s.on('error', () => {});
  return once(s, 'connect').then(() => s);
}

/** Everything the socket receives, as text, read after `ms`. */
function collect(s: Socket): { text: () => string } {
  let t = '';
  s.on('data', (d: Buffer) => {
    t += d.toString();
  });
  return { text: () => t };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function setup(): Promise<{ a: Upstream; b: Upstream; proxy: ChaosProxy }> {
  const a = await upstream('A');
  const b = await upstream('B');
  const proxy = await ChaosProxy.start({ port: a.port });
  cleanups.push(
    () => new Promise((r) => a.server.close(r)),
    () => new Promise((r) => b.server.close(r)),
    () => {
      for (const s of [...a.sockets, ...b.sockets]) s.destroy();
    },
    () => proxy.close(),
  );
  return { a, b, proxy };
}

describe('chaos proxy', () => {
  it('forwards both ways and counts bytes and connections', async () => {
    const { proxy } = await setup();
    const c = await connect(proxy.port);
    const got = collect(c);
    c.write('hello');
    await waitFor(() => got.text() === 'A:hello', 2000, 'echo');
    expect(proxy.stats).toMatchObject({ accepted: 1, open: 1, bytesUp: 5, bytesDown: 7 });
    expect(proxy.connections[0]).toMatchObject({ bytesUp: 5, bytesDown: 7 });
    c.destroy();
    await waitFor(() => proxy.stats.open === 0, 2000, 'connection forgotten');
  });

  it('delays bytes, fixed and with jitter, never reordering them', async () => {
    const { proxy } = await setup();
    proxy.apply({ kind: 'delay', delay: { ms: 150 } });
    const c = await connect(proxy.port);
    const got = collect(c);
    const t0 = Date.now();
    c.write('x');
    await waitFor(() => got.text() === 'A:x', 3000, 'delayed echo');
    // 150 ms on the way up and again on the way down.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    proxy.apply({ kind: 'delay', delay: { ms: 5, jitterMs: 40 } });
    const want: string[] = [];
    for (let i = 0; i < 50; i++) {
      c.write(`${i},`);
      want.push(`${i},`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const all = () => got.text().slice(3).replaceAll('A:', '');
    await waitFor(() => all() === want.join(''), 5000, 'in-order jittered echo').catch((err) => {
      throw new Error(`${err.message}: got ${all()}`);
    });
  });

  it('drop: both ends see a reset', async () => {
    const { a, proxy } = await setup();
    const c = await connect(proxy.port);
    c.write('x');
    await waitFor(() => a.sockets.length === 1, 2000, 'upstream connection');
    const clientErr = once(c, 'error');
    const upErr = once(a.sockets[0]!, 'error');
    proxy.apply({ kind: 'drop' });
    expect(((await clientErr)[0] as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(((await upErr)[0] as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(proxy.stats).toMatchObject({ drops: 1, open: 0 });
  });

  it('cut: both ends see an orderly close (FIN), no error', async () => {
    const { a, proxy } = await setup();
    const c = await connect(proxy.port);
    c.write('x');
    await waitFor(() => a.sockets.length === 1, 2000, 'upstream connection');
    let errors = 0;
    c.on('error', () => errors++);
    c.resume();
    const ended = Promise.all([once(c, 'end'), once(a.sockets[0]!, 'end')]);
    proxy.apply({ kind: 'cut' });
    await ended;
    expect(errors).toBe(0);
    expect(proxy.stats.cuts).toBe(1);
  });

  it('black-hole: bytes swallowed both ways, nothing closed, even when one side gives up', async () => {
    const { a, proxy } = await setup();
    const c = await connect(proxy.port);
    const got = collect(c);
    c.write('before');
    await waitFor(() => got.text() === 'A:before', 2000, 'echo');
    proxy.apply({ kind: 'blackhole' });
    c.write('lost');
    a.sockets[0]!.write('also lost');
    await new Promise((r) => setTimeout(r, 300));
    expect(got.text()).toBe('A:before');
    expect(a.received.map(String)).toEqual(['before']);
    expect(proxy.stats.swallowed).toBe('lost'.length + 'also lost'.length);
    expect(c.destroyed).toBe(false);
    expect(a.sockets[0]!.destroyed).toBe(false);
    // The client gives up (its keepalive fired): the upstream is not told.
    c.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(a.sockets[0]!.destroyed).toBe(false);
    expect(proxy.stats.open).toBe(1);
    // New connections are black-holed too, until 'pass'.
    const d = await connect(proxy.port);
    const dGot = collect(d);
    d.write('dark');
    await new Promise((r) => setTimeout(r, 200));
    expect(dGot.text()).toBe('');
    proxy.apply({ kind: 'pass' });
    const e = await connect(proxy.port);
    const eGot = collect(e);
    e.write('light');
    await waitFor(() => eGot.text() === 'A:light', 2000, 'echo after pass');
    d.destroy();
    e.destroy();
  });

  it('refuse: new connections are reset at once, open ones carry on; accept restores', async () => {
    const { proxy } = await setup();
    const open = await connect(proxy.port);
    const openGot = collect(open);
    proxy.apply({ kind: 'refuse' });
    const r = createConnection({ port: proxy.port, host: '127.0.0.1' });
    const [err] = (await once(r, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNRESET');
    open.write('still');
    await waitFor(() => openGot.text() === 'A:still', 2000, 'open connection unaffected');
    expect(proxy.stats).toMatchObject({ refused: 1, accepted: 1 });
    proxy.apply({ kind: 'accept' });
    const ok = await connect(proxy.port);
    const okGot = collect(ok);
    ok.write('y');
    await waitFor(() => okGot.text() === 'A:y', 2000, 'accepted again');
    open.destroy();
    ok.destroy();
  });

  it('target switch: new connections go to the new upstream, open ones stay', async () => {
    const { b, proxy } = await setup();
    const onA = await connect(proxy.port);
    const aGot = collect(onA);
    proxy.apply({ kind: 'target', target: { port: b.port } });
    const onB = await connect(proxy.port);
    const bGot = collect(onB);
    onA.write('1');
    onB.write('2');
    await waitFor(() => aGot.text() === 'A:1' && bGot.text() === 'B:2', 2000, 'both echoes');
    expect(proxy.connections.map((c) => c.target.port)).toEqual([proxy.connections[0]!.target.port, b.port]);
    onA.destroy();
    onB.destroy();
  });

  it('an upstream that is down: the client is reset and the failure counted', async () => {
    const { a, proxy } = await setup();
    await new Promise((r) => a.server.close(r));
    const c = createConnection({ port: proxy.port, host: '127.0.0.1' });
    const [err] = (await once(c, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNRESET');
    await waitFor(() => proxy.stats.upstreamFailures === 1, 2000, 'failure counted');
  });

  it('schedule: timed steps in order; close() cancels the rest and releases every handle', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length;
    const { b, proxy } = await setup();
    const c = await connect(proxy.port);
    const got = collect(c);
    const done = await proxy.schedule([
      { afterMs: 50, kind: 'delay', delay: { ms: 20 } },
      { afterMs: 50, kind: 'target', target: { port: b.port } },
      { afterMs: 50, kind: 'refuse' },
    ]);
    expect(done).toBe(true);
    expect(proxy.delay).toEqual({ ms: 20 });
    expect(proxy.target.port).toBe(b.port);
    const refused = createConnection({ port: proxy.port, host: '127.0.0.1' });
    expect(((await once(refused, 'error'))[0] as NodeJS.ErrnoException).code).toBe('ECONNRESET');

    // Bytes queued in a delay and a long schedule, then close(): nothing left behind.
    proxy.apply({ kind: 'delay', delay: { ms: 10_000 } });
    c.write('queued');
    const pending = proxy.schedule([{ afterMs: 60_000, kind: 'pass' }]);
    await proxy.close();
    expect(await pending).toBe(false);
    await waitFor(() => c.destroyed || c.readableEnded, 2000, 'client closed by close()');
    expect(got.text()).toBe('');
    for (const f of cleanups.splice(0).reverse()) await f();
    c.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length;
    expect(after).toBeLessThanOrEqual(before);
  });
});
