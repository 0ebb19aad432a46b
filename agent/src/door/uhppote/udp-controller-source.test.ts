// The listener against the emulated controller, over real UDP sockets on 127.0.0.1.
import { createSocket } from 'node:dgram';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/support/pty.js';
import { Registry } from '../../obs/metrics.js';
import type { Delivery, SourceEvent } from '../event.js';
import { encode } from './codec.js';
import { type UdpControllerSourceInput, UdpControllerSourceSchema } from './config.js';
import { type EmulatorOptions, UhppoteEmulator } from './emulator.js';
import { UdpControllerSource, type UdpControllerSourceOptions } from './udp-controller-source.js';

const SERIAL = 405419896;
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

interface Setup {
  config?: Partial<UdpControllerSourceInput>;
  emulator?: Partial<EmulatorOptions>;
  /** The store's answer; default: dedupe on controllerId + seq like the real one. */
  store?: (e: SourceEvent, stored: Map<string, SourceEvent>) => Delivery | undefined;
  options?: Partial<UdpControllerSourceOptions>;
}

async function setup(s: Setup = {}) {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  const stored = new Map<string, SourceEvent>();
  const registry = new Registry();
  const config = UdpControllerSourceSchema.parse({ kind: 'udp-controller', name: 'gate-udp', host: '127.0.0.1', port: 0, timezone: 'Asia/Shanghai', ...s.config });
  const { kind: _, ...rest } = config;
  const src = new UdpControllerSource({ ...rest, log, registry, catchUp: { timeoutMs: 250, storeRetryMs: 100 }, ...s.options });
  await src.start((e): Delivery => {
    const answer = s.store?.(e, stored);
    if (answer) return answer;
    const key = `${e.controllerId}#${e.seq}`;
    if (stored.has(key)) return 'duplicate';
    stored.set(key, e);
    return 'stored';
  });
  running.push(src);
  const emu = new UhppoteEmulator({ serial: SERIAL, listener: { host: '127.0.0.1', port: src.port! }, timeZone: 'Asia/Shanghai', ...s.emulator });
  await emu.start();
  running.push(emu);
  const count = async (name: string, labels: Record<string, string> = {}) =>
    ((await registry.getSingleMetric(name)?.get())?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
  const until = async (what: string, check: () => Promise<boolean> | boolean) => {
    const deadline = Date.now() + 5000;
    for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${what}: not within 5 s`);
  };
  const summary = () => [...stored.values()].sort((a, b) => a.seq! - b.seq!).map((e) => `${e.seq} ${e.door} ${e.kind === 'unlock' ? `${e.method} ${e.granted}` : e.state}`);
  return { src, emu, stored, lines, count, until, summary };
}

describe('udp-controller listener with the emulated controller', () => {
  it('delivers each event exactly once through repeats and garbage, and logs no card number', async () => {
    const { src, emu, stored, lines, count, until, summary } = await setup();
    emu.swipe(6154413, 1, true);
    emu.swipe(7654321, 2, false);
    emu.doorOpened(1);
    emu.doorClosed(1);
    emu.exitButton(3, true);
    await waitFor(() => stored.size === 5, 'five events', 5000);
    emu.repush(1);
    emu.repush(3);
    emu.repush(3);
    emu.send(Buffer.from('not a controller'));
    emu.send(Buffer.alloc(64, 0xee));
    const wrongTime = emu.swipe(1234567, 4, true, { push: false });
    const bad = encode(wrongTime);
    bad[25] = 0x7a; // minutes 7a: not BCD
    emu.send(bad);
    emu.warning(2, 28); // power on: not a door event
    await until('repeats and garbage counted', async () => (await count('doorcast_source_events_total', { outcome: 'duplicate' })) === 3 && (await count('doorcast_udp_packets_rejected_total')) === 3 && (await count('doorcast_udp_events_skipped_total')) === 1);
    expect(await count('doorcast_udp_packets_rejected_total', { reason: 'length' })).toBe(1);
    expect(await count('doorcast_udp_packets_rejected_total', { reason: 'som' })).toBe(1);
    expect(await count('doorcast_udp_packets_rejected_total', { reason: 'bcd' })).toBe(1);
    // The refused swipe (index 6) is fetched back through the gap the power-on push revealed,
    // and answered from the log with its good bytes.
    await waitFor(() => stored.size === 6, 'index 6 fetched', 5000);
    expect(new Set(emu.getEventRequests)).toEqual(new Set([6]));
    expect(summary()).toEqual(['1 1 card true', '2 2 card false', '3 1 opened', '4 1 closed', '5 3 exit-button true', '6 4 card true']);
    expect(stored.get(`uhppote:${SERIAL}#1`)).toMatchObject({ controllerId: `uhppote:${SERIAL}`, source: 'gate-udp', credential: new TextEncoder().encode('6154413') });
    // Controller time (Asia/Shanghai wall clock) back to Unix ms within a few seconds of now.
    expect(Math.abs(stored.get(`uhppote:${SERIAL}#1`)!.controllerTime - Date.now())).toBeLessThan(10_000);
    expect(src.status()).toMatchObject({ link: 'up', eventsDelivered: 9 });
    expect(lines.join('')).not.toMatch(/6154413|7654321|1234567/);
    expect(lines.join('')).toMatch(/udp packet rejected/);
  });

  it('fetches pushes lost on the wire with get-event, repeating unanswered requests', async () => {
    const { emu, stored, count, summary } = await setup();
    emu.swipe(1111, 1, true);
    await waitFor(() => stored.size === 1, 'first', 5000);
    emu.dropRequests = 1; // the first request goes unanswered
    emu.swipe(2222, 2, false, { push: false });
    emu.exitButton(2, false);
    emu.doorOpened(2, false);
    emu.doorClosed(2);
    await waitFor(() => stored.size === 5, 'gap filled', 5000);
    expect(summary()).toEqual(['1 1 card true', '2 2 card false', '3 2 exit-button true', '4 2 opened', '5 2 closed']);
    // Index 2 asked again after its request went unanswered (more than twice only on a slow box).
    expect(emu.getEventRequests.filter((i) => i === 2).length).toBeGreaterThanOrEqual(2);
    expect(new Set(emu.getEventRequests)).toEqual(new Set([2, 3, 4]));
    expect(await count('doorcast_udp_get_event_requests_total')).toBe(emu.getEventRequests.length);
    expect(await count('doorcast_udp_events_lost_total')).toBe(0);
  });

  it('counts as lost what the controller log overwrote and what it never answers', async () => {
    const { emu, stored, count, until } = await setup({ emulator: { logSize: 2 } });
    emu.swipe(1, 1, true);
    await waitFor(() => stored.size === 1, 'first', 5000);
    for (let i = 0; i < 3; i++) emu.swipe(2, 1, true, { push: false });
    emu.swipe(3, 1, true); // index 5: 2 and 3 overwritten, 4 still in the log
    await until('overwritten counted', async () => (await count('doorcast_udp_events_lost_total', { reason: 'overwritten' })) === 2);
    await waitFor(() => stored.size === 3, 'index 4 fetched', 5000);
    emu.dropRequests = 100;
    emu.swipe(4, 1, true, { push: false });
    emu.swipe(5, 1, true);
    await until('no reply counted', async () => (await count('doorcast_udp_events_lost_total', { reason: 'no-reply' })) === 1);
    expect(emu.getEventRequests.filter((i) => i === 6)).toHaveLength(3); // the default attempts
    expect([...stored.keys()].map((k) => Number(k.split('#')[1])).sort()).toEqual([1, 4, 5, 7]);
  });

  it('fetches again an event the store could not take', async () => {
    let failures = 1;
    const { emu, stored, count } = await setup({ store: (e) => (e.seq === 2 && failures-- > 0 ? 'failed' : undefined) });
    emu.swipe(1, 1, true);
    emu.swipe(2, 1, true);
    await waitFor(() => stored.size === 2, 'stored after a retry', 5000);
    expect(new Set(emu.getEventRequests)).toEqual(new Set([2]));
    expect(await count('doorcast_source_events_total', { outcome: 'failed' })).toBe(1);
  });

  it('refuses controllers not on the list, and a listed serial from the wrong address', async () => {
    const { emu, stored, src, count, until, lines } = await setup({ config: { controllers: [{ serial: 1 }, { serial: 2, address: '127.0.0.2' }] } });
    emu.swipe(6154413, 1, true);
    const other = new UhppoteEmulator({ serial: 2, listener: { host: '127.0.0.1', port: src.port! } });
    await other.start();
    running.push(other);
    other.swipe(99, 1, true);
    await until('refused', async () => (await count('doorcast_udp_packets_rejected_total', { reason: 'unknown-controller' })) === 1 && (await count('doorcast_udp_packets_rejected_total', { reason: 'wrong-address' })) === 1);
    expect(stored.size).toBe(0);
    expect(src.status().link).toBe('up');
    expect(lines.join('')).toMatch(/serial 405419896/);
  });

  it('sends get-event to the configured controller address', async () => {
    // The pushes come from a second socket; only the configured address answers get-event.
    const answering = new UhppoteEmulator({ serial: SERIAL, listener: { host: '127.0.0.1', port: 9 } });
    await answering.start();
    running.push(answering);
    const { emu, stored } = await setup({ config: { controllers: [{ serial: SERIAL, address: `127.0.0.1:${answering.port}` }] } });
    emu.swipe(1, 1, true);
    emu.swipe(2, 1, true, { push: false });
    answering.log.push(...emu.log);
    emu.swipe(3, 1, true);
    await waitFor(() => stored.size === 3, 'fetched from the configured address', 5000);
    expect(new Set(answering.getEventRequests)).toEqual(new Set([2]));
    expect(emu.getEventRequests).toEqual([]);
  });

  it('tracks a bounded number of controllers for catch-up, and still delivers the others', async () => {
    const { emu, stored, count, until } = await setup({ options: { maxControllers: 2 } });
    const push = (serial: number, index: number) => emu.send(encode({ fn: 0x20, serial, index, type: 1, granted: true, door: 1, direction: 1, card: 5, time: null, reason: 1 }));
    for (const serial of [11, 12, 13]) push(serial, 1);
    await waitFor(() => stored.size === 3, 'three controllers', 5000);
    for (const serial of [11, 12, 13]) push(serial, 3);
    await waitFor(() => stored.size === 6, 'their second pushes', 5000);
    // Index 2 is asked of 11 and 12 only (the emulator answers serial 405419896 alone): 2 lost.
    await until('given up', async () => (await count('doorcast_udp_events_lost_total', { reason: 'no-reply' })) === 2);
    expect(await count('doorcast_udp_get_event_requests_total')).toBe(6);
  });

  it('takes v6.62 pushes (start byte 0x19)', async () => {
    const { emu, stored } = await setup({ emulator: { som: 0x19 } });
    emu.swipe(5, 1, true);
    await waitFor(() => stored.size === 1, 'v6.62 push', 5000);
  });

  it('stop() releases the socket; start() listens again; a port it cannot bind is a down status', async () => {
    const { src, emu, stored } = await setup();
    const port = src.port!;
    await src.stop();
    await src.stop(); // idempotent
    expect(src.status().link).toBe('stopped');
    expect(src.port).toBeUndefined();
    // The port is free again: we can hold it, and then a listener configured on it cannot start.
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(port, '127.0.0.1', r));
    const fixed = new UdpControllerSource({ ...UdpControllerSourceSchema.parse({ kind: 'udp-controller', name: 'fixed', host: '127.0.0.1', port }) });
    running.push(fixed);
    await fixed.start(() => 'stored');
    expect(fixed.status()).toMatchObject({ link: 'down', detail: expect.stringMatching(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`)) });
    await new Promise<void>((r) => holder.close(() => r()));
    // Freed, the fixed port starts and hears the emulator again.
    const got: SourceEvent[] = [];
    await fixed.start((e) => {
      got.push(e);
      return 'stored';
    });
    expect(fixed.status().link).toBe('up');
    emu.swipe(8, 1, true);
    await waitFor(() => got.length === 1, 'heard after restart', 5000);
    expect(stored.size).toBe(0);
    // The first source starts again on a fresh port.
    await src.start(() => 'stored');
    expect(src.status().link).toBe('up');
  });
});
