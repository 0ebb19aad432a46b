// GPIO: chip base resolution (kernel 6.6+ numbering), debounce, polarity and edges, export
// and unexport, all through the real sysfs code against a fake tree and kernel.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/pty.js';
import { Registry } from '../obs/metrics.js';
import type { Delivery, SourceEvent } from './event.js';
import { GpioError, listChips, pickChip, sysfsNumber } from './gpio-chip.js';
import { Debouncer } from './gpio-debounce.js';
import { GpioSource, GpioSourceSchema } from './gpio-source.js';
import { type FakeChip, FakeGpioKernel } from './testing/fake-sysfs.js';

const PI5_66: FakeChip[] = [
  { base: 512, ngpio: 54, label: 'pinctrl-bcm2711' },
  { base: 566, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];
const kernels: FakeGpioKernel[] = [];
const kernel = (chips: FakeChip[] = PI5_66) => {
  const k = new FakeGpioKernel(chips);
  kernels.push(k);
  return k;
};
afterEach(() => {
  for (const k of kernels.splice(0)) k.close();
});

describe('GPIO chip base', () => {
  it('resolves the Pi main chip at base 512 on kernel 6.6+, not 0', () => {
    const k = kernel();
    const chips = listChips(k.root);
    expect(chips.map((c) => c.name)).toEqual(['gpiochip512', 'gpiochip566']);
    const chip = pickChip(chips, undefined, k.root);
    expect(chip).toMatchObject({ base: 512, label: 'pinctrl-bcm2711' });
    expect(sysfsNumber(chip, 17, 'x')).toBe(529);
  });

  it('base 0 on older kernels; a named chip; clear errors with a fix', () => {
    const old = kernel([{ base: 0, ngpio: 54, label: 'pinctrl-bcm2835' }]);
    expect(sysfsNumber(pickChip(listChips(old.root), undefined, 'x'), 17, 'x')).toBe(17);
    const k = kernel();
    expect(pickChip(listChips(k.root), 'raspberrypi-exp-gpio', 'x').base).toBe(566);
    expect(pickChip(listChips(k.root), 'gpiochip566', 'x').base).toBe(566);
    expect(() => pickChip(listChips(k.root), 'nope', 'x')).toThrow(/no GPIO chip nope; have gpiochip512 \(pinctrl-bcm2711\)/);
    expect(() => sysfsNumber(listChips(k.root)[0]!, 54, 'x')).toThrow(/line 54 is outside gpiochip512 .*0\.\.53/);
    const two = kernel([
      { base: 0, ngpio: 8, label: 'a' },
      { base: 8, ngpio: 8, label: 'b' },
    ]);
    expect(() => pickChip(listChips(two.root), undefined, 'x')).toThrow(GpioError);
    expect(() => listChips('/nonexistent')).toThrow(expect.objectContaining({ code: 'no-sysfs', fix: expect.stringMatching(/serial\/tcp/) }));
  });
});

describe('Debouncer', () => {
  it.each([
    ['a clean change settles after the window', [[1, 0], [1, 49], [1, 50]], [null, null, 1], 0],
    ['a bounce back to the stable level emits nothing', [[1, 0], [0, 10], [1, 20], [0, 30]], [null, null, null, null], 2],
    ['chatter then a hold emits once', [[1, 0], [0, 5], [1, 10], [1, 40], [1, 60]], [null, null, null, null, 1], 1],
    ['zero debounce passes every change', [[1, 0], [0, 1]], [1, 0], 0],
  ] as const)('%s', (_name, samples, expected, bounces) => {
    const d = new Debouncer(_name.startsWith('zero') ? 0 : 50, 0);
    expect(samples.map(([v, t]) => d.sample(v, t))).toEqual(expected);
    expect(d.bounces).toBe(bounces);
  });
});

describe('GPIO source over sysfs', () => {
  function start(k: FakeGpioKernel, inputs: unknown[], outcome: Delivery = 'stored') {
    const config = GpioSourceSchema.parse({ kind: 'gpio', name: 'gate-io', sysfsRoot: k.root, watch: 'poll', pollMs: 2, inputs });
    const got: SourceEvent[] = [];
    const registry = new Registry();
    const src = new GpioSource({ ...config, registry });
    return { src, got, registry, started: src.start((e) => (got.push(e), outcome)) };
  }

  it('exports base+line, sets active_low and edge, debounces a bouncing contact into one event per change, unexports on stop', async () => {
    const k = kernel();
    k.set(529, 1); // door contact with a pull-up: physically high while closed
    const { src, got, registry, started } = start(k, [
      { line: 17, door: 1, role: 'door-contact', activeLow: true, debounceMs: 30 },
      { line: 27, door: 1, role: 'lock-relay', edge: 'rising', debounceMs: 10 },
    ]);
    await started;
    try {
      expect(src.status()).toMatchObject({ link: 'up', detail: expect.stringMatching(/base 512: door-contact@gpiochip512\+17=gpio529:poll 2 ms, lock-relay@gpiochip512\+27=gpio539/) });
      expect(k.exports).toEqual([529, 539]);
      expect([k.read(529, 'active_low'), k.read(529, 'edge'), k.read(529, 'direction')]).toEqual(['1', 'both', 'in']);
      expect(k.read(539, 'edge')).toBe('rising');

      // The door opens: the contact bounces for ~12 ms, then holds low (active).
      for (const level of [0, 1, 0, 1, 0, 1, 0] as const) {
        k.set(529, level);
        await new Promise((r) => setTimeout(r, 2));
      }
      await waitFor(() => got.length >= 1, 'door opened', 2000);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual([{ source: 'gate-io', controllerId: 'gpio:gpiochip512', seq: null, door: 1, controllerTime: 0, kind: 'door-state', state: 'opened' }]);

      // The relay releases the lock (rising) and returns (falling: not an event).
      k.set(539, 1);
      await waitFor(() => got.length >= 2, 'relay', 2000);
      k.set(539, 0);
      k.set(529, 1);
      await waitFor(() => got.length >= 3, 'door closed', 2000);
      await new Promise((r) => setTimeout(r, 100));
      expect(got.slice(1).map((e) => (e.kind === 'unlock' ? `unlock ${e.method} ${e.granted} ${e.credential.length}` : e.state))).toEqual(['unlock remote true 0', 'closed']);
      const bounces = (await registry.getSingleMetric('doorcast_gpio_bounces_total')?.get())?.values[0]?.value ?? 0;
      expect(bounces).toBeGreaterThan(0);
    } finally {
      await src.stop();
    }
    await waitFor(() => k.unexports.length === 2, 'unexported', 2000);
    expect(k.unexports.sort()).toEqual([529, 539]);
  });

  it('an exit button on a chip without interrupts is polled; a refused event is counted as lost', async () => {
    const k = kernel([{ base: 0, ngpio: 28, label: 'pinctrl-bcm2835', noEdge: true }]);
    const { src, got, registry, started } = start(k, [{ line: 5, door: 2, role: 'exit-button', debounceMs: 0 }], 'failed');
    await started;
    try {
      k.set(5, 1);
      await waitFor(() => got.length === 1, 'button', 2000);
      expect(got[0]).toMatchObject({ kind: 'unlock', method: 'exit-button', door: 2 });
      const lost = (await registry.getSingleMetric('doorcast_gpio_events_lost_total')?.get())?.values[0]?.value;
      expect(lost).toBe(1);
    } finally {
      await src.stop();
    }
  });

  it('no GPIO on this machine: the source is down with the fix, and nothing throws', async () => {
    const src = new GpioSource({ ...GpioSourceSchema.parse({ kind: 'gpio', name: 'gate-io', sysfsRoot: '/nonexistent', inputs: [{ line: 1, door: 1, role: 'door-contact' }] }) });
    await src.start(() => 'stored');
    expect(src.status()).toMatchObject({ link: 'down', detail: expect.stringMatching(/no sysfs GPIO .*fix: enable CONFIG_GPIO_SYSFS/) });
    await src.stop();
  });

  it('config errors name the field', () => {
    const r = GpioSourceSchema.safeParse({ kind: 'gpio', name: 'g', inputs: [{ line: 1, door: 17, role: 'door-contact' }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['inputs', 0, 'door']);
  });

  // onoff hardcodes /sys/class/gpio, so its path runs in a private mount namespace where
  // /sys/class is a tmpfs holding the fake tree. epoll refuses regular files (EPERM): the
  // source must say so and fall back to polling; with a real kernel the same call succeeds.
  const canUnshare = (() => {
    try {
      execFileSync('unshare', ['-m', 'true'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!canUnshare)('the real /sys path goes through onoff (epoll), falling back to polling when refused', () => {
    const child = fileURLToPath(new URL('./testing/gpio-namespace-child.ts', import.meta.url));
    const out = execFileSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs none /sys/class && exec "${process.execPath}" --import tsx "${child}"`], { encoding: 'utf8', timeout: 30_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.detailWhenUp).toEqual(['Operation not permitted']);
    expect(r.status.detail).toMatch(/gpio516:poll 10 ms/);
    expect(r.events).toEqual(['opened']);
    expect(r.exports).toEqual([516]);
    expect(r.unexports).toEqual([516]);
  });
});
