// sysfs GPIO numbering. On Raspberry Pi OS with kernel 6.6+ the main chip's sysfs numbers
// start at a base (512 on a Pi 4/5), not 0, so pin = base + line offset. The base is read
// from /sys/class/gpio/gpiochip*/base, never assumed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GpioChip {
  /** Directory name, e.g. gpiochip512. */
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

export class GpioError extends Error {
  override readonly name = 'GpioError';
  constructor(
    readonly code: 'no-sysfs' | 'no-chip' | 'ambiguous-chip' | 'line-range' | 'export' | 'io',
    readonly path: string,
    message: string,
    /** The one-line fix for logs and `doorcast doctor`. */
    readonly fix: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/**
 * The main GPIO controller of each Pi generation, by pinctrl driver label. Pi 0-3: bcm2835;
 * Pi 4: bcm2711; Pi 5: the header is on RP1, whose base is not the lowest (the SoC's banks
 * come first), so "the lowest base" would pick the wrong chip there.
 */
const PI_MAIN_CHIP = /^(pinctrl-bcm2835|pinctrl-bcm2711|pinctrl-rp1)$/;

export function listChips(sysfsRoot: string): GpioChip[] {
  const dir = join(sysfsRoot, 'class', 'gpio');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^gpiochip\d+$/.test(n));
  } catch (err) {
    throw new GpioError('no-sysfs', dir, `no sysfs GPIO (${(err as NodeJS.ErrnoException).code})`, 'enable CONFIG_GPIO_SYSFS in the kernel, or use a serial/tcp source for this door');
  }
  // A chip whose attributes cannot be read (removed meanwhile) is left out, not fatal.
  const read = (n: string, f: string) => {
    try {
      return readFileSync(join(dir, n, f), 'utf8').trim();
    } catch {
      return '';
    }
  };
  const chips: GpioChip[] = [];
  for (const name of names) {
    const [base, ngpio, label] = [read(name, 'base'), read(name, 'ngpio'), read(name, 'label')];
    if (/^\d+$/.test(base) && /^[1-9]\d*$/.test(ngpio) && label !== '') chips.push({ name, base: Number(base), ngpio: Number(ngpio), label });
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The chip a line lives on: by label or directory name when given, else the Pi's main chip,
 * else the only chip there is. Pure over the chip list.
 */
export function pickChip(chips: readonly GpioChip[], selector: string | undefined, where: string): GpioChip {
  if (chips.length === 0) throw new GpioError('no-chip', where, 'no GPIO chips', 'check the kernel exposes the GPIO controller (ls /sys/class/gpio)');
  if (selector !== undefined) {
    const hit = chips.filter((c) => c.label === selector || c.name === selector);
    if (hit.length === 1) return hit[0]!;
    const all = chips.map((c) => `${c.name} (${c.label})`).join(', ');
    if (hit.length === 0) throw new GpioError('no-chip', where, `no GPIO chip ${selector}; have ${all}`, `set chip to one of: ${all}`);
    throw new GpioError('ambiguous-chip', where, `several chips match ${selector}: ${all}`, 'name the chip by its directory (gpiochipN)');
  }
  const main = chips.filter((c) => PI_MAIN_CHIP.test(c.label));
  if (main.length === 1) return main[0]!;
  if (chips.length === 1) return chips[0]!;
  const all = chips.map((c) => `${c.name} (${c.label})`).join(', ');
  throw new GpioError('ambiguous-chip', where, `several GPIO chips and none is a known Pi controller: ${all}`, `set chip to one of: ${all}`);
}

/** The sysfs number of a line offset on a chip. */
export function sysfsNumber(chip: GpioChip, line: number, where: string): number {
  if (!Number.isInteger(line) || line < 0 || line >= chip.ngpio) {
    throw new GpioError('line-range', where, `line ${line} is outside ${chip.name} (${chip.label}: 0..${chip.ngpio - 1})`, `use a line offset 0..${chip.ngpio - 1} (BCM numbering on a Pi)`);
  }
  return chip.base + line;
}
