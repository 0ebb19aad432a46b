// A fake sysfs GPIO tree with a fake kernel behind it, for tests on machines without GPIO:
// writing a number to class/gpio/export creates gpioN/ (value, direction, active_low, edge),
// unexport removes it, and set() drives a pin's physical level, which the value file shows
// with active_low applied, as the kernel does.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeChip {
  base: number;
  ngpio: number;
  label: string;
  /** Without edge files: a controller with no interrupt support. */
  noEdge?: boolean;
}

export class FakeGpioKernel {
  readonly root: string;
  readonly gpio: string;
  readonly exports: number[] = [];
  readonly unexports: number[] = [];
  readonly #physical = new Map<number, 0 | 1>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly chips: FakeChip[],
    root = mkdtempSync(join(tmpdir(), 'dc-sysfs-')),
  ) {
    this.root = root;
    this.gpio = join(root, 'class', 'gpio');
    mkdirSync(this.gpio, { recursive: true });
    for (const c of chips) {
      const d = join(this.gpio, `gpiochip${c.base}`);
      mkdirSync(d);
      writeFileSync(join(d, 'base'), `${c.base}\n`);
      writeFileSync(join(d, 'ngpio'), `${c.ngpio}\n`);
      writeFileSync(join(d, 'label'), `${c.label}\n`);
    }
    writeFileSync(join(this.gpio, 'export'), '');
    writeFileSync(join(this.gpio, 'unexport'), '');
    // The kernel reacts to writes at once; 2 ms polling is close enough for the agent's waits.
    this.#timer = setInterval(() => this.#tick(), 2);
  }

  lineDir(n: number): string {
    return join(this.gpio, `gpio${n}`);
  }

  /** Drives the physical level of sysfs pin `n`. */
  set(n: number, level: 0 | 1): void {
    this.#physical.set(n, level);
    this.#show(n);
  }

  read(n: number, file: string): string {
    return readFileSync(join(this.lineDir(n), file), 'utf8').trim();
  }

  /** Stops the kernel; the tree stays. */
  stop(): void {
    clearInterval(this.#timer);
  }

  close(): void {
    this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }

  #show(n: number): void {
    const dir = this.lineDir(n);
    if (!existsSync(dir)) return;
    const activeLow = readFileSync(join(dir, 'active_low'), 'utf8').trim() === '1';
    writeFileSync(join(dir, 'value'), `${(this.#physical.get(n) ?? 0) ^ (activeLow ? 1 : 0)}\n`);
  }

  #take(file: string): number[] {
    const p = join(this.gpio, file);
    const text = readFileSync(p, 'utf8');
    if (!text) return [];
    writeFileSync(p, '');
    return text
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  }

  #tick(): void {
    for (const n of this.#take('export')) {
      this.exports.push(n);
      const chip = this.chips.find((c) => n >= c.base && n < c.base + c.ngpio);
      if (!chip) continue;
      const dir = this.lineDir(n);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'direction'), 'in\n');
      writeFileSync(join(dir, 'active_low'), '0\n');
      if (!chip.noEdge) writeFileSync(join(dir, 'edge'), 'none\n');
      writeFileSync(join(dir, 'value'), '0\n');
    }
    for (const n of this.#take('unexport')) {
      this.unexports.push(n);
      rmSync(this.lineDir(n), { recursive: true, force: true });
    }
    // active_low may have been rewritten since: re-show every exported line.
    for (const n of this.#physical.keys()) this.#show(n);
  }
}
