// The GPIO source end to end over sysfs: the same export/configure/read/unexport code the agent
// runs on /sys, against a fake tree whose fake kernel reacts to export writes (testing/).
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/pty.js';
import { Backoff } from '../link/backoff.js';
import { Registry } from '../obs/metrics.js';
import type { Delivery, SourceEvent } from './event.js';
import { GpioSource, GpioSourceSchema } from './gpio-source.js';
import { type FakeChip, FakeGpioKernel, type FakeKernelOptions, LAYOUTS } from './testing/fake-sysfs.js';

const kernels: FakeGpioKernel[] = [];
const sources: GpioSource[] = [];
const kernel = (chips: FakeChip[] = LAYOUTS.pi4Kernel66, options: FakeKernelOptions = {}) => {
  const k = new FakeGpioKernel(chips, undefined, options);
  kernels.push(k);
  return k;
};
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
  for (const k of kernels.splice(0)) k.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fastRetry = () => new Backoff({ baseMs: 20, capMs: 40 }, () => 1);

function start(root: string, config: Record<string, unknown>, outcome: Delivery = 'stored', extra: { exportWaitMs?: number } = {}) {
  const parsed = GpioSourceSchema.parse({ kind: 'gpio', name: 'gate-io', sysfsRoot: root, pollMs: 2, ...config });
  const { kind: _, ...opts } = parsed;
  const got: SourceEvent[] = [];
  const registry = new Registry();
  const src = new GpioSource({ ...opts, registry, backoff: fastRetry(), ...extra });
  sources.push(src);
  const started = src.start((e) => {
    got.push(e);
    return outcome;
  });
  return { src, got, registry, started };
}

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

/** Physical level sequence with a pause after each step: a contact that bounces. */
async function drive(k: FakeGpioKernel, n: number, levels: (0 | 1)[], holdMs = 10): Promise<void> {
  for (const level of levels) {
    k.set(n, level);
    await sleep(holdMs);
  }
}

const brief = (e: SourceEvent) => (e.kind === 'door-state' ? `door ${e.door} ${e.state}` : `door ${e.door} unlock ${e.method}`);

describe('GPIO source over sysfs', () => {
  it('Pi 4 on kernel 6.6: exports base+line, configures polarity, one event per real transition through bounces, unexports on stop', async () => {
    const k = kernel(LAYOUTS.pi4Kernel66, { exportDelayMs: 50 }); // a slow udev
    k.set(529, 1); // contact with a pull-up: physically high while the door is closed
    const { src, got, registry, started } = start(k.root, {
      inputs: [
        { line: 17, door: 1, role: 'door-contact', activeLow: true, debounceMs: 250 },
        { line: 27, door: 1, role: 'lock-relay', method: 'card', debounceMs: 20 },
      ],
    });
    await started;
    expect(src.status()).toMatchObject({ link: 'up', detail: 'pinctrl-bcm2711 base 512: door-contact@gpiochip512+17=gpio529:poll 2 ms, lock-relay@gpiochip512+27=gpio539:poll 2 ms' });
    expect(k.exports).toEqual([529, 539]);
    expect([k.read(529, 'direction'), k.read(529, 'active_low'), k.read(529, 'edge')]).toEqual(['in', '1', 'none']);
    expect(k.read(539, 'active_low')).toBe('0');
    expect(got).toEqual([]); // the start-up level (closed) is the baseline, not an event

    // The door opens: the contact bounces 0/1 for ~60 ms, then holds low (active).
    await drive(k, 529, [0, 1, 0, 1, 0, 1, 0]);
    await waitFor(() => got.length >= 1, 'door opened', 5000);
    await sleep(400);
    expect(got).toEqual([{ source: 'gate-io', controllerId: 'gpio:pinctrl-bcm2711', seq: null, door: 1, controllerTime: 0, kind: 'door-state', state: 'opened' }]);
    expect(await value(registry, 'doorcast_gpio_bounces_total', { input: 'door1:door-contact:17' })).toBeGreaterThan(0);

    // The relay releases the lock (an unlock) and drops back (not another one); the door
    // closes, bouncing again.
    k.set(539, 1);
    await waitFor(() => got.length >= 2, 'relay', 5000);
    k.set(539, 0);
    await drive(k, 529, [1, 0, 1, 0, 1]);
    await waitFor(() => got.length >= 3, 'door closed', 5000);
    await sleep(400);
    expect(got.map(brief)).toEqual(['door 1 opened', 'door 1 unlock card', 'door 1 closed']);
    expect(got[1]).toMatchObject({ kind: 'unlock', granted: true, credential: new Uint8Array(0), seq: null });
    expect(await value(registry, 'doorcast_gpio_events_total', { input: 'door1:door-contact:17', outcome: 'stored' })).toBe(2);
    expect(await value(registry, 'doorcast_gpio_events_total', { input: 'door1:lock-relay:27', kind: 'unlock' })).toBe(1);
    expect(src.status()).toMatchObject({ eventsDelivered: 3, lastEventAt: expect.any(Number) });

    await src.stop();
    await waitFor(() => k.unexports.length === 2, 'unexported', 5000);
    expect(k.unexports).toEqual([529, 539]);
    expect([k.exported(529), k.exported(539)]).toEqual([false, false]);
    expect(src.status().link).toBe('stopped');
  });

  it('Pi 5 on kernel 6.6: the header is RP1 at base 571, not the lowest chip; controllerId can be set', async () => {
    const k = kernel(LAYOUTS.pi5Kernel66);
    const { src, got, started } = start(k.root, { controllerId: 'bike-room-pi', inputs: [{ line: 17, door: 2, role: 'door-contact', debounceMs: 0 }] });
    await started;
    expect(k.exports).toEqual([588]);
    expect(src.chip).toMatchObject({ name: 'gpiochip571', label: 'pinctrl-rp1' });
    await sleep(20);
    k.set(588, 1);
    await waitFor(() => got.length === 1, 'opened', 5000);
    expect(got[0]).toMatchObject({ controllerId: 'bike-room-pi', door: 2, state: 'opened' });
  });

  it('edges: a falling-edge exit button on a chip without interrupts is polled; a refused event is lost and counted', async () => {
    const k = kernel([{ base: 0, ngpio: 28, label: 'pinctrl-bcm2835', noEdge: true }]);
    const { src, got, registry, started } = start(k.root, { inputs: [{ line: 5, door: 2, role: 'exit-button', edge: 'falling', debounceMs: 0 }] }, 'failed');
    await started;
    expect(k.exported(5)).toBe(true);
    await sleep(20);
    k.set(5, 1); // pressed: not the configured edge
    await sleep(50);
    expect(got).toEqual([]);
    k.set(5, 0); // released
    await waitFor(() => got.length === 1, 'button', 5000);
    expect(got[0]).toMatchObject({ kind: 'unlock', method: 'exit-button', door: 2 });
    expect(await value(registry, 'doorcast_gpio_events_lost_total')).toBe(1);
    expect(await value(registry, 'doorcast_gpio_events_total', { outcome: 'failed' })).toBe(1);
    expect(src.status().eventsDelivered).toBe(0);
  });

  it('a contact chattering at start-up: start is bounded, and the level it settles on is the baseline, not an event', async () => {
    const k = kernel();
    let level: 0 | 1 = 0;
    const chatter = setInterval(() => {
      level = level ? 0 : 1;
      k.set(529, level);
    }, 3);
    const { src, got, registry, started } = start(k.root, { inputs: [{ line: 17, door: 1, role: 'door-contact', debounceMs: 40 }] });
    try {
      await started; // within debounceMs + 1 s although the level never held
      expect(src.status().link).toBe('up');
    } finally {
      clearInterval(chatter);
    }
    k.set(529, 1);
    await sleep(200);
    expect(got).toEqual([]);
    k.set(529, 0);
    await waitFor(() => got.length === 1, 'closed', 5000);
    expect(got.map(brief)).toEqual(['door 1 closed']);
    expect(await value(registry, 'doorcast_gpio_bounces_total')).toBe(0); // no baseline yet: nothing to bounce back to
  });

  it('a line exported by someone else is used and left exported on stop', async () => {
    const k = kernel();
    await import('node:fs/promises').then((fs) => fs.writeFile(`${k.gpio}/export`, '529\n'));
    await waitFor(() => k.exported(529), 'exported by another', 5000);
    const { src, started } = start(k.root, { inputs: [{ line: 17, door: 1, role: 'door-contact' }] });
    await started;
    expect(src.status().link).toBe('up');
    await src.stop();
    await sleep(50);
    expect(k.unexports).toEqual([]);
    expect(k.exported(529)).toBe(true);
  });

  it('files udev never hands over: down with the fix, the export undone, retried', async () => {
    const k = kernel(LAYOUTS.pi4Kernel66, { stuck: [529] });
    const { src, started } = start(k.root, { inputs: [{ line: 17, door: 1, role: 'door-contact' }] }, 'stored', { exportWaitMs: 100 });
    await started;
    expect(src.status()).toMatchObject({ link: 'down', detail: expect.stringMatching(/gpio529\/value: not writable after export; fix: check the udev rule .*; retrying in \d+ ms/) });
    await waitFor(() => src.status().reconnects >= 2, 'retried', 5000);
    expect(k.exports.filter((n) => n === 529).length).toBeGreaterThanOrEqual(2);
    expect(k.unexports).toContain(529);
  });

  it('a line unexported under the agent: down, re-exported, and a change during the outage is reported', async () => {
    const k = kernel();
    const { src, got, started } = start(k.root, { inputs: [{ line: 17, door: 1, role: 'door-contact', debounceMs: 0 }] });
    await started;
    await sleep(20);
    k.yank(529);
    k.set(529, 1); // the door opens while the line is gone
    await waitFor(() => src.status().reconnects >= 1, 'down', 5000);
    await waitFor(() => got.length === 1, 'opened after reconnect', 5000);
    expect(got[0]).toMatchObject({ kind: 'door-state', state: 'opened' });
    await waitFor(() => src.status().link === 'up', 'up again', 5000);
    expect(k.exports).toEqual([529, 529]);
  });

  it('stop while exporting leaves nothing exported', async () => {
    const k = kernel(LAYOUTS.pi4Kernel66, { exportDelayMs: 100 });
    const { src, started } = start(k.root, { inputs: [{ line: 17, door: 1, role: 'door-contact' }] });
    await sleep(20);
    await src.stop();
    await started;
    await sleep(200);
    expect(k.exports).toEqual([529]);
    expect(k.exported(529)).toBe(false);
    expect(src.status().link).toBe('stopped');
  });

  it('no GPIO on this machine: down with a clear detail and the fix, retried, nothing thrown', async () => {
    const { src, started } = start('/nonexistent/sys', { inputs: [{ line: 1, door: 1, role: 'door-contact' }] });
    await expect(started).resolves.toBeUndefined();
    expect(src.status()).toMatchObject({ kind: 'gpio', link: 'down', detail: expect.stringMatching(/^\/nonexistent\/sys\/class\/gpio: no sysfs GPIO \(ENOENT\); fix: enable CONFIG_GPIO_SYSFS/) });
    await waitFor(() => src.status().reconnects >= 2, 'retried', 5000);
    await src.stop();
    expect(src.status().link).toBe('stopped');
  });

  it('a line beyond the chip: down, naming the input and the valid range', async () => {
    const k = kernel();
    const { src, started } = start(k.root, { inputs: [{ line: 60, door: 1, role: 'door-contact' }] });
    await started;
    expect(src.status().detail).toMatch(/^gate-io\.inputs\.0\.line: line 60 is outside gpiochip512 \(pinctrl-bcm2711: 0\.\.57\)/);
    expect(k.exports).toEqual([]);
  });
});

describe('GpioSourceSchema', () => {
  const issue = (inputs: unknown[]) => {
    const r = GpioSourceSchema.safeParse({ kind: 'gpio', name: 'g', inputs });
    return r.success ? null : { path: r.error.issues[0]?.path, message: r.error.issues[0]?.message };
  };
  it('defaults', () => {
    const c = GpioSourceSchema.parse({ kind: 'gpio', name: 'g', inputs: [{ line: 4, door: 1, role: 'door-contact' }, { line: 5, door: 1, role: 'exit-button' }] });
    expect(c).toMatchObject({ sysfsRoot: '/sys', watch: 'interrupt', inputs: [{ activeLow: false, edge: 'both', debounceMs: 50 }, { edge: 'rising' }] });
    expect(c.controllerId).toBeUndefined();
  });
  it.each([
    ['door out of range', [{ line: 1, door: 17, role: 'door-contact' }], ['inputs', 0, 'door'], /16/],
    ['a lock relay must say what drives it', [{ line: 1, door: 1, role: 'lock-relay' }], ['inputs', 0, 'method'], /GPIO cannot see what released the lock/],
    ['an unlock is one edge, not both', [{ line: 1, door: 1, role: 'exit-button', edge: 'both' }], ['inputs', 0, 'edge'], /rising|falling/],
    ['an unknown role', [{ line: 1, door: 1, role: 'doorbell' }], ['inputs', 0, 'role'], /door-contact/],
    ['one input per line', [{ line: 1, door: 1, role: 'door-contact' }, { line: 1, door: 2, role: 'door-contact' }], ['inputs'], /one input only/],
    ['debounce bounds', [{ line: 1, door: 1, role: 'door-contact', debounceMs: 9000 }], ['inputs', 0, 'debounceMs'], /5000/],
  ])('%s', (_name, inputs, path, message) => {
    const r = issue(inputs);
    expect(r?.path).toEqual(path);
    expect(r?.message).toMatch(message);
  });
});
