// The emulator and the parser over a real pty pair (socat) and over TCP (STYLE.md §4).
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair, waitFor } from '../../../test/support/pty.js';
import { encode } from '../frame.js';
import { type Decoded, DoorlinkParser } from '../parser.js';
import { ControllerEmulator } from './controller.js';
import { onSerial, onTcp, type Transport } from './transport.js';

/** A minimal agent side: stores each event once by seq, acks unless told not to. */
class Receiver {
  readonly stored = new Map<number, number>(); // seq → times received
  readonly parser = new DoorlinkParser();
  acking = true;
  hellos = 0;
  constructor(readonly stream: Duplex) {
    stream.pipe(this.parser);
    this.parser.on('data', (d: Decoded) => {
      if (d.kind !== 'message') return;
      const m = d.message;
      if (m.type === 'hello') this.hellos++;
      if (m.type !== 'unlock' && m.type !== 'door-state') return;
      this.stored.set(m.seq, (this.stored.get(m.seq) ?? 0) + 1);
      if (this.acking) stream.write(encode({ type: 'ack', seq: m.seq }));
    });
    stream.write(encode({ type: 'agent-hello', protocolVersion: 1 }));
  }
}

function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200, autoOpen: false, hupcl: false });
    p.open((err) => (err ? reject(err) : resolve(p)));
  });
}
const closePort = (p: SerialPort) => new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()));

function emit(emu: ControllerEmulator, n: number) {
  for (let i = 0; i < n; i++) {
    if (i % 3 === 2) emu.doorState(1 + (i % 2), 'closed');
    else emu.unlock({ door: 1 + (i % 2), method: i % 2 ? 'qr' : 'card', granted: true, credential: Buffer.from([4, i & 0xff, i >> 8]) });
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('emulator ⇄ parser over a real pty pair', () => {
  async function setup(o: Partial<ConstructorParameters<typeof ControllerEmulator>[0]> = {}) {
    const pty: PtyPair = await openPtyPair();
    cleanups.push(() => pty.close());
    const emu = new ControllerEmulator({ controllerId: 'DC-PTY', doors: 2, retransmitMs: 100, retransmitMaxMs: 400, heartbeatMs: 200, ...o });
    const t: Transport = await onSerial(emu, pty.a);
    cleanups.push(() => t.close());
    const port = await openPort(pty.b);
    cleanups.push(() => closePort(port));
    return { pty, emu, port, rx: new Receiver(port) };
  }

  it('delivers every event exactly once, and every event is acked', async () => {
    const { emu, rx } = await setup({ ringCapacity: 512 }); // a 300-event burst must fit the ring
    emit(emu, 300);
    await waitFor(() => emu.acked.size === 300, 'all 300 acked');
    expect([...rx.stored.keys()].sort((a, b) => a - b)).toEqual([...emu.ledger.keys()]);
    expect(emu.ring.size).toBe(0);
  });

  it('withheld acks → retransmission with backoff → no loss, duplicates recognised by seq', async () => {
    const { emu, rx } = await setup();
    rx.acking = false;
    emit(emu, 10);
    await waitFor(() => [...rx.stored.values()].some((n) => n >= 3), 'three transmissions of one event');
    expect(emu.stats().retransmits).toBeGreaterThan(0);
    rx.acking = true;
    await waitFor(() => emu.acked.size === 10, 'all acked after acks resume');
    expect(rx.stored.size).toBe(10);
  });

  it('receiver unplugged and replugged: AGENT_HELLO makes the controller resend what is unacked', async () => {
    const { pty, emu, port, rx } = await setup({ retransmitMs: 60_000, retransmitMaxMs: 60_000 });
    rx.acking = false;
    emit(emu, 20); // sent once, never acked, and the timeout is a minute away
    await waitFor(() => rx.stored.size === 20, 'first transmission');
    await closePort(port);
    emit(emu, 5); // written while nobody listens
    const port2 = await openPort(pty.b);
    cleanups.push(() => closePort(port2));
    const rx2 = new Receiver(port2);
    await waitFor(() => emu.acked.size === 25, 'all 25 acked after replug');
    expect(rx2.hellos).toBeGreaterThanOrEqual(1);
    expect(rx2.stored.size).toBe(25);
  });

  it('ring overflow is counted and reported in the heartbeat', async () => {
    const { emu, rx } = await setup({ ringCapacity: 8 });
    rx.acking = false;
    const beats: number[] = [];
    rx.parser.on('data', (d: Decoded) => {
      if (d.kind === 'message' && d.message.type === 'heartbeat') beats.push(d.message.dropped);
    });
    emit(emu, 12);
    expect(emu.stats().dropped).toBe(4);
    await waitFor(() => beats.some((b) => b === 4), 'a heartbeat reporting 4 dropped');
  });

  it('a noisy line (garbage, bit flips, split writes) still delivers every event exactly once', async () => {
    const { emu, rx } = await setup({ noise: { garbage: 0.2, bitFlip: 0.1, split: 0.3 }, seed: 99 });
    emit(emu, 200);
    await waitFor(() => emu.acked.size === 200, 'all 200 acked through noise', 20_000);
    expect(rx.stored.size).toBe(200);
    expect(rx.parser.counters.discardedBytes).toBeGreaterThan(0);
    expect(rx.parser.counters.crc).toBeGreaterThan(0);
  });
});

describe('emulator ⇄ parser over TCP (serial device server mode)', () => {
  it('delivers, survives a reconnect, and resends unacked events', async () => {
    const emu = new ControllerEmulator({ controllerId: 'DC-TCP', doors: 2, retransmitMs: 60_000, retransmitMaxMs: 60_000, heartbeatMs: 200 });
    const t = await onTcp(emu);
    cleanups.push(() => t.close());
    const dial = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect(t.port, '127.0.0.1', () => resolve(s)).once('error', reject);
      });
    const s1 = await dial();
    const rx = new Receiver(s1);
    emit(emu, 50);
    await waitFor(() => emu.acked.size === 50, '50 acked');
    rx.acking = false;
    emit(emu, 10);
    await waitFor(() => rx.stored.size === 60, 'unacked ones seen');
    s1.destroy();
    const s2 = await dial();
    cleanups.push(() => void s2.destroy());
    const rx2 = new Receiver(s2);
    await waitFor(() => emu.acked.size === 60, 'all 60 acked after reconnect');
    expect(rx2.stored.size).toBe(10);
  });
});
