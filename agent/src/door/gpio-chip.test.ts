// Chip base resolution over sysfs: the layouts Raspberry Pi OS shows before and after kernel
// 6.6, read from a fake tree by the same listChips the agent uses on /sys.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GpioError, listChips, pickChip, sysfsNumber } from './gpio-chip.js';
import { type FakeChip, FakeGpioKernel, LAYOUTS } from './testing/fake-sysfs.js';

const kernels: FakeGpioKernel[] = [];
const tree = (chips: FakeChip[]) => {
  const k = new FakeGpioKernel(chips);
  kernels.push(k);
  return k.root;
};
afterEach(() => {
  for (const k of kernels.splice(0)) k.close();
});

const resolve = (root: string, line: number, chip?: string) => sysfsNumber(pickChip(listChips(root), chip, root), line, 'inputs.0.line');

describe('sysfs GPIO numbering', () => {
  it.each([
    ['Pi 4, kernel 6.1: base 0', LAYOUTS.pi4Kernel61, 17, 17],
    ['Pi 4, kernel 6.6+: base 512', LAYOUTS.pi4Kernel66, 17, 529],
    ['Pi 5, kernel 6.6: RP1 at 571, above the SoC banks', LAYOUTS.pi5Kernel66, 17, 588],
  ])('%s', (_name, chips, line, number) => {
    expect(resolve(tree(chips), line)).toBe(number);
  });

  it('lists chips by base with their label and size', () => {
    expect(listChips(tree(LAYOUTS.pi4Kernel66))).toEqual([
      { name: 'gpiochip512', base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
      { name: 'gpiochip570', base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
    ]);
  });

  it('a chip named by label or by directory', () => {
    const root = tree(LAYOUTS.pi4Kernel66);
    expect(resolve(root, 2, 'raspberrypi-exp-gpio')).toBe(572);
    expect(resolve(root, 2, 'gpiochip570')).toBe(572);
  });

  it('the only chip of a non-Pi board is used; several unknown chips must be named', () => {
    expect(resolve(tree([{ base: 0, ngpio: 32, label: 'gpio-mockup-A' }]), 3)).toBe(3);
    const root = tree([
      { base: 512, ngpio: 8, label: 'gpio-mockup-A' },
      { base: 520, ngpio: 8, label: 'gpio-mockup-B' },
    ]);
    expect(() => resolve(root, 3)).toThrow(expect.objectContaining({ code: 'ambiguous-chip', fix: 'set chip to one of: gpiochip512 (gpio-mockup-A), gpiochip520 (gpio-mockup-B)' }));
    expect(resolve(root, 3, 'gpio-mockup-B')).toBe(523);
  });

  it('errors carry a code, the path and the fix', () => {
    const root = tree(LAYOUTS.pi4Kernel66);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as GpioError;
      }
      throw new Error('did not throw');
    };
    const missing = err(() => resolve(root, 17, 'pinctrl-rp1'));
    expect(missing).toBeInstanceOf(GpioError);
    expect(missing).toMatchObject({ code: 'no-chip', path: root });
    expect(missing.message).toMatch(/no GPIO chip pinctrl-rp1; have gpiochip512 \(pinctrl-bcm2711\), gpiochip570/);

    const range = err(() => resolve(root, 58));
    expect(range).toMatchObject({ code: 'line-range', path: 'inputs.0.line', fix: expect.stringMatching(/0\.\.57/) });
    expect(range.message).toMatch(/line 58 is outside gpiochip512 \(pinctrl-bcm2711: 0\.\.57\)/);
    expect(err(() => resolve(root, -1)).code).toBe('line-range');

    const none = err(() => listChips('/nonexistent/sys'));
    expect(none).toMatchObject({ code: 'no-sysfs', path: '/nonexistent/sys/class/gpio', fix: expect.stringMatching(/CONFIG_GPIO_SYSFS/) });
    expect(none.message).toMatch(/ENOENT/);

    const empty = tree([]);
    expect(err(() => resolve(empty, 1))).toMatchObject({ code: 'no-chip' });
  });

  it('a chip with unreadable or malformed attributes is left out', () => {
    const root = tree(LAYOUTS.pi4Kernel66);
    mkdirSync(join(root, 'class', 'gpio', 'gpiochip600'));
    writeFileSync(join(root, 'class', 'gpio', 'gpiochip600', 'base'), 'x\n');
    mkdirSync(join(root, 'class', 'gpio', 'gpiochip700'));
    expect(listChips(root).map((c) => c.name)).toEqual(['gpiochip512', 'gpiochip570']);
  });
});
