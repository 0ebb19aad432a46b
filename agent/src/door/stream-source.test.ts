// The serial and TCP doorlink sources against the controller emulator, over real pty pairs
// (socat) and loopback TCP: late device paths, unplug/replug, storage failures.

import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerEmulator, onSerial, onTcp, type Transport } from '@doorcast/firmware-protocol/emulator';
import { afterEach, describe, expect, it } from 'vitest';
import { openPtyPair, waitFor } from '../../../test/support/pty.js';
import { Backoff } from '../link/backoff.js';
import { Registry } from '../obs/metrics.js';
import type { Delivery, SourceEvent } from './event.js';
import { serialSource } from './serial-source.js';
import type { StreamSource } from './stream-source.js';
import { tcpSource } from './tcp-source.js';

/** An in-memory stand-in for the store: dedupes on (controllerId, seq) like the real one. */
class Sink {
  readonly rows = new Map<string, SourceEvent>();
  /** The credential buffers as handed over, to check they are wiped afterwards. */
  readonly handed: Uint8Array[] = [];
  duplicates = 0;
  failNext = 0;
  deliver = (e: SourceEvent): Delivery => {
    if (this.failNext > 0) {
      this.failNext--;
      return 'failed';
    }
    if (e.kind === 'unlock') this.handed.push(e.credential);
    const k = `${e.controllerId}#${e.seq}`;
    if (this.rows.has(k)) {
      this.duplicates++;
      return 'duplicate';
    }
    // Copy: the session wipes credentials after delivery (privacy), as it must.
    this.rows.set(k, e.kind === 'unlock' ? { ...e, credential: Buffer.from(e.credential) } : { ...e });
    return 'stored';
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const fast = () => new Backoff({ baseMs: 20, capMs: 200 });
function emit(emu: ControllerEmulator, n: number) {
  for (let i = 0; i < n; i++) emu.unlock({ door: 1, method: 'card', granted: true, credential: Buffer.from([4, i & 0xff, i >> 8]) });
}

describe('serial source over a real pty', () => {
  async function rig(path?: string) {
    const pty = await openPtyPair();
    cleanups.push(() => pty.close());
    const emu = new ControllerEmulator({ controllerId: 'DC-S1', doors: 2, retransmitMs: 100, retransmitMaxMs: 400, ringCapacity: 1024 });
    const t: Transport = await onSerial(emu, pty.a);
    cleanups.push(() => t.close());
    const sink = new Sink();
    const registry = new Registry();
    const src: StreamSource = serialSource({ name: 'main', path: path ?? pty.b, baudRate: 115200, backoff: fast(), registry });
    cleanups.push(() => src.stop());
    return { pty, emu, sink, src, registry, t };
  }

  it('stores every event once and acks each; credentials are wiped after delivery', async () => {
    const { emu, sink, src } = await rig();
    await src.start(sink.deliver);
    emit(emu, 200);
    await waitFor(() => emu.acked.size === 200, '200 acked');
    expect(sink.rows.size).toBe(200);
    // Delivered counts retransmissions too: on a loaded machine an ack can take longer than the
    // emulator's 100 ms retransmit, and the resent copy is delivered (and stored once).
    expect(src.status()).toMatchObject({ link: 'up' });
    expect(src.status().eventsDelivered).toBeGreaterThanOrEqual(200);
    // The stored copy kept the bytes; the buffer the session decoded was zeroed after use.
    expect(sink.handed.length).toBeGreaterThanOrEqual(200);
    expect(sink.handed.every((c) => c.every((b) => b === 0))).toBe(true);
    const stored = [...sink.rows.values()][1]!;
    expect(stored.kind === 'unlock' && stored.credential[0]).toBe(4);
  });

  it('waits for a device path that appears late, then connects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-dev-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const late = join(dir, 'ttyUSB-controller');
    const { pty, emu, sink, src, registry } = await rig(late);
    await src.start(sink.deliver);
    await waitFor(() => src.status().reconnects >= 2, 'a few failed attempts');
    expect(src.status().link).toBe('down');
    expect(src.status().detail).toMatch(/cannot open .*ttyUSB-controller/);
    symlinkSync(pty.b, late);
    emit(emu, 10);
    await waitFor(() => emu.acked.size === 10, 'acked once the path exists');
    expect((await registry.getSingleMetricAsString('doorcast_source_reconnects_total'))).toMatch(/source="main"} \d+/);
  });

  it('survives unplug and replug mid-stream without loss or duplicates in the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-dev-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const link = join(dir, 'ttyUSB0');
    const first = await openPtyPair();
    symlinkSync(first.b, link);
    const emu = new ControllerEmulator({ controllerId: 'DC-S2', doors: 1, retransmitMs: 100, retransmitMaxMs: 400, ringCapacity: 1024 });
    let t = await onSerial(emu, first.a);
    const sink = new Sink();
    const src = serialSource({ name: 'main', path: link, baudRate: 115200, backoff: fast() });
    cleanups.push(() => src.stop());
    await src.start(sink.deliver);
    emit(emu, 50);
    await waitFor(() => sink.rows.size >= 20, 'some events before the unplug');
    // Unplug: the adapter (and its pty) disappears.
    await t.close();
    await first.close();
    emit(emu, 50); // the controller keeps its ring while nobody listens
    await waitFor(() => src.status().link === 'down', 'the source notices');
    const second = await openPtyPair();
    cleanups.push(() => second.close());
    rmSync(link);
    symlinkSync(second.b, link);
    t = await onSerial(emu, second.a);
    cleanups.push(() => t.close());
    await waitFor(() => emu.acked.size === 100, 'all 100 acked after replug', 20_000);
    expect(sink.rows.size).toBe(100);
    expect([...emu.ledger.keys()].every((seq) => sink.rows.has(`DC-S2#${seq}`))).toBe(true);
  });

  it('a failed store is NAKed, not acked; the controller retries and it lands later', async () => {
    const { emu, sink, src } = await rig();
    await src.start(sink.deliver);
    sink.failNext = 3;
    emit(emu, 5);
    await waitFor(() => emu.acked.size === 5, 'all acked after the failures pass');
    expect(emu.stats().naks).toBeGreaterThanOrEqual(1);
    expect(sink.rows.size).toBe(5);
  });

  it('declares the link down after silence and reconnects', async () => {
    const pty = await openPtyPair();
    cleanups.push(() => pty.close());
    const sink = new Sink();
    const src = serialSource({ name: 'quiet', path: pty.b, baudRate: 115200, backoff: fast(), silenceMs: 150 });
    cleanups.push(() => src.stop());
    await src.start(sink.deliver);
    await waitFor(() => src.status().reconnects >= 1, 'a silence-triggered reconnect');
  });
});

describe('tcp source (serial device server)', () => {
  it('connects, reconnects after the server drops it, and loses nothing', async () => {
    const emu = new ControllerEmulator({ controllerId: 'DC-T1', doors: 1, retransmitMs: 100, retransmitMaxMs: 400, ringCapacity: 1024 });
    const t = await onTcp(emu);
    const sink = new Sink();
    const src = tcpSource({ name: 'rs485', host: '127.0.0.1', port: t.port, backoff: fast() });
    cleanups.push(() => src.stop());
    await src.start(sink.deliver);
    emit(emu, 30);
    await waitFor(() => emu.acked.size === 30, '30 acked');
    await t.close(); // the device server reboots: connection gone, port closed for a while
    emit(emu, 20);
    await waitFor(() => src.status().link === 'down', 'the source notices');
    const t2 = await onTcp(emu, '127.0.0.1', t.port);
    cleanups.push(() => t2.close());
    await waitFor(() => emu.acked.size === 50, 'all 50 acked after reconnect', 20_000);
    expect(sink.rows.size).toBe(50);
  });

  it('keeps retrying while nothing listens', async () => {
    const src = tcpSource({ name: 'nobody', host: '127.0.0.1', port: 1, backoff: fast() });
    cleanups.push(() => src.stop());
    await src.start(new Sink().deliver);
    await waitFor(() => src.status().reconnects >= 2, 'retries');
    expect(src.status().detail).toMatch(/ECONNREFUSED/);
  });
});
