// UT0311-style UDP controllers: the codec against hand-written bytes and random garbage, the
// mapping to door events, and the listener against the emulator on 127.0.0.1.
import fc from 'fast-check';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../../broker/src/testing.js';
import { waitFor } from '../../../../test/support/pty.js';
import { Registry } from '../../obs/metrics.js';
import type { Delivery, SourceEvent } from '../event.js';
import { decodeEvent, encodeEvent, localToEpochMs, UhppoteDecodeError, type UhppoteEvent } from './codec.js';
import { UhppoteEmulator } from './emulator.js';
import { BAD, FIXTURES } from './fixtures.js';
import { toSourceEvent } from './mapping.js';
import { UdpControllerSource, UdpControllerSourceSchema } from './udp-controller-source.js';

describe('UT0311 codec', () => {
  it.each(FIXTURES)('$name', ({ hex, event }) => {
    const bytes = Buffer.from(hex, 'hex');
    expect(decodeEvent(bytes)).toEqual(event);
    if (event.time) expect(encodeEvent(event as UhppoteEvent).subarray(0, 28)).toEqual(Buffer.concat([Buffer.from([0x17]), bytes.subarray(1, 28)]));
  });

  it.each(BAD)('rejects $name', ({ hex, code }) => {
    expect(() => decodeEvent(Buffer.from(hex, 'hex'))).toThrow(expect.objectContaining({ code }));
  });

  it('random packets only ever raise UhppoteDecodeError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Object.assign(b, { 0: 0x17, 1: 0x20 }))), (b) => {
        try {
          decodeEvent(b);
        } catch (err) {
          expect(err).toBeInstanceOf(UhppoteDecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('controller-local time converts through the zone, DST included', () => {
    const t = { year: 2026, month: 11, day: 23, hour: 7, minute: 42, second: 13 };
    expect(new Date(localToEpochMs(t, 'Asia/Shanghai')).toISOString()).toBe('2026-11-22T23:42:13.000Z');
    expect(new Date(localToEpochMs({ ...t, month: 7 }, 'Europe/Berlin')).toISOString()).toBe('2026-07-23T05:42:13.000Z');
    expect(new Date(localToEpochMs(t, 'Europe/Berlin')).toISOString()).toBe('2026-11-23T06:42:13.000Z');
    expect(localToEpochMs(null, 'UTC')).toBe(0);
  });

  it('maps swipes, doors, buttons and warnings; skips what is not a door event', () => {
    const ev = (i: number) => decodeEvent(Buffer.from(FIXTURES[i]!.hex, 'hex'));
    expect(toSourceEvent(ev(0), 's', 'UTC')).toMatchObject({ kind: 'unlock', method: 'card', granted: true, door: 3, seq: 78, controllerId: 'uhppote:405419896', credential: Buffer.from('6154413') });
    expect(toSourceEvent(ev(1), 's', 'UTC')).toMatchObject({ kind: 'unlock', granted: false, reason: 6 });
    expect(toSourceEvent(ev(2), 's', 'UTC')).toMatchObject({ kind: 'door-state', state: 'opened', door: 2 });
    expect(toSourceEvent(ev(3), 's', 'UTC')).toMatchObject({ kind: 'door-state', state: 'forced-open', controllerTime: 0 });
    expect(toSourceEvent(ev(4), 's', 'UTC')).toMatchObject({ kind: 'unlock', method: 'exit-button' });
    expect(toSourceEvent({ ...ev(3), reason: 28 }, 's', 'UTC')).toBeNull();
    expect(toSourceEvent({ ...ev(0), index: 0 }, 's', 'UTC')).toBeNull();
  });
});

describe('udp-controller listener with the emulator', () => {
  const running: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
  });

  async function setup(config: Partial<ReturnType<typeof UdpControllerSourceSchema.parse>> = {}) {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(s) });
    const stored = new Map<string, SourceEvent>();
    const registry = new Registry();
    const src = new UdpControllerSource({ ...UdpControllerSourceSchema.parse({ kind: 'udp-controller', name: 'gate-udp', host: '127.0.0.1', port: 0, timezone: 'Asia/Shanghai', ...config }), log, registry });
    await src.start((e): Delivery => {
      const key = `${e.controllerId}#${e.seq}`;
      if (stored.has(key)) return 'duplicate';
      stored.set(key, e);
      return 'stored';
    });
    running.push(src);
    const emu = new UhppoteEmulator({ serial: 405419896, listener: { host: '127.0.0.1', port: src.port! } });
    await emu.start();
    running.push(emu);
    const metricValue = async (name: string, labels: Record<string, string> = {}) =>
      ((await registry.getSingleMetric(name)?.get())?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
    return { src, emu, stored, lines, metricValue };
  }

  it('delivers every event once: repeats deduped, lost pushes fetched with get-event, garbage counted', async () => {
    const { src, emu, stored, lines, metricValue } = await setup();
    emu.swipe(6154413, 1, true);
    emu.door(1, 23);
    emu.door(1, 24);
    await waitFor(() => stored.size === 3, 'first three', 5000);
    emu.repush(2);
    emu.send(Buffer.from('not a controller'));
    emu.send(Buffer.alloc(64, 0xee));
    // Two pushes lost on the wire; the next one reveals the gap.
    emu.swipe(1234567, 2, false, { push: false });
    emu.door(2, 20, false);
    emu.warning(2, 38);
    emu.warning(1, 28);
    await waitFor(() => stored.size === 6, 'gap filled', 5000);
    expect(emu.getEventRequests.sort()).toEqual([4, 5]);
    expect([...stored.values()].map((e) => `${e.seq} ${e.kind === 'unlock' ? `${e.method} ${e.granted}` : e.state}`).sort()).toEqual([
      '1 card true',
      '2 opened',
      '3 closed',
      '4 card false',
      '5 exit-button true',
      '6 forced-open',
    ]);
    expect(await metricValue('doorcast_udp_packets_rejected_total', { reason: 'length' })).toBe(1);
    expect(await metricValue('doorcast_udp_packets_rejected_total', { reason: 'som' })).toBe(1);
    expect(await metricValue('doorcast_udp_events_skipped_total')).toBe(1);
    expect(await metricValue('doorcast_source_events_total', { outcome: 'duplicate' })).toBe(1);
    // Every delivery the store answered (six stored, one duplicate).
    expect(src.status()).toMatchObject({ link: 'up', eventsDelivered: 7 });
    // Card numbers are raw credentials: never in the log.
    expect(lines.join('')).not.toMatch(/6154413|1234567/);
  });

  it('refuses controllers not on the list; an address it cannot bind is a down status, not a crash', async () => {
    const { emu, stored, src, metricValue } = await setup({ controllers: [{ serial: 1 }] });
    emu.swipe(6154413, 1, true);
    await until(async () => (await metricValue('doorcast_udp_packets_rejected_total', { reason: 'unknown-controller' })) === 1, 5000, 'refused');
    expect(stored.size).toBe(0);
    expect(src.status().link).toBe('up');
    const bad = new UdpControllerSource({ ...UdpControllerSourceSchema.parse({ kind: 'udp-controller', name: 'bad', host: '203.0.113.9', port: 0 }) });
    await bad.start(() => 'stored');
    running.push(bad);
    expect(bad.status()).toMatchObject({ link: 'down', detail: expect.stringMatching(/cannot listen on 203\.0\.113\.9:0/) });
  });
});
