// A fake sysfs GPIO tree with a fake kernel behind it, for tests on machines without GPIO.
// class/gpio/export and unexport are FIFOs, so every write reaches the "kernel" in order and
// none is lost, as with the real attribute files: a number written to export creates gpioN/
// (value, direction, active_low, and edge where the chip has interrupts), unexport removes
// it, and set() drives a pin's physical level, which the value file shows with active_low
// applied, as the kernel does. udev's lag in handing the new files to the gpio group cannot
// be shown to a root test by permissions, so it is shown by the files appearing late.
import { execFileSync } from 'node:child_process';
import { constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeChip {
  base: number;
  ngpio: number;
  label: string;
  /** Without edge files: a controller with no interrupt support. */
  noEdge?: boolean;
}

/** Chip layouts as Raspberry Pi OS shows them (/sys/class/gpio/gpiochip<base>). */
export const LAYOUTS = {
  /** Pi 4, kernel 6.1: numbers start at 0; the firmware expander is allocated below 512. */
  pi4Kernel61: [
    { base: 0, ngpio: 58, label: 'pinctrl-bcm2711' },
    { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ],
  /** Pi 4, kernel 6.6+: every chip moved up to start at 512. */
  pi4Kernel66: [
    { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
    { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ],
  /** Pi 5, kernel 6.6: the SoC's own banks come first; the header is on RP1 at 571. */
  pi5Kernel66: [
    { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
    { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520' },
    { base: 548, ngpio: 17, label: 'gpio-brcmstb@107d517c00' },
    { base: 565, ngpio: 6, label: 'gpio-brcmstb@107d517c20' },
    { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
  ],
} satisfies Record<string, FakeChip[]>;

export interface FakeKernelOptions {
  /** Lines whose files never become usable after export (udev never hands them over). */
  stuck?: number[];
  /** How long after an export the line's files become usable (a slow udev). */
  exportDelayMs?: number;
}

export class FakeGpioKernel {
  readonly root: string;
  readonly gpio: string;
  readonly exports: number[] = [];
  readonly unexports: number[] = [];
  readonly #physical = new Map<number, 0 | 1>();
  readonly #stuck: Set<number>;
  readonly #delayMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #pipes: Socket[] = [];
  readonly #show: NodeJS.Timeout;

  constructor(
    readonly chips: FakeChip[],
    root = mkdtempSync(join(tmpdir(), 'dc-sysfs-')),
    options: FakeKernelOptions = {},
  ) {
    this.root = root;
    this.gpio = join(root, 'class', 'gpio');
    this.#stuck = new Set(options.stuck);
    this.#delayMs = options.exportDelayMs ?? 0;
    mkdirSync(this.gpio, { recursive: true });
    for (const c of chips) {
      const d = join(this.gpio, `gpiochip${c.base}`);
      mkdirSync(d);
      writeFileSync(join(d, 'base'), `${c.base}\n`);
      writeFileSync(join(d, 'ngpio'), `${c.ngpio}\n`);
      writeFileSync(join(d, 'label'), `${c.label}\n`);
    }
    this.#listen('export', (n) => {
      this.exports.push(n);
      this.#export(n);
    });
    this.#listen('unexport', (n) => {
      this.unexports.push(n);
      rmSync(this.lineDir(n), { recursive: true, force: true });
    });
    // active_low is a plain file here, so its effect on value shows within 2 ms, not at once.
    this.#show = setInterval(() => {
      for (const n of this.#physical.keys()) this.#showValue(n);
    }, 2);
  }

  lineDir(n: number): string {
    return join(this.gpio, `gpio${n}`);
  }

  /** Drives the physical level of sysfs pin `n`. */
  set(n: number, level: 0 | 1): void {
    this.#physical.set(n, level);
    this.#showValue(n);
  }

  read(n: number, file: string): string {
    return readFileSync(join(this.lineDir(n), file), 'utf8').trim();
  }

  exported(n: number): boolean {
    return existsSync(this.lineDir(n));
  }

  /** Another process unexports line `n` behind the agent's back. */
  yank(n: number): void {
    rmSync(this.lineDir(n), { recursive: true, force: true });
  }

  /** Stops the kernel; the tree stays (writes to export would then block: stop the agent first). */
  stop(): void {
    clearInterval(this.#show);
    for (const t of this.#timers) clearTimeout(t);
    for (const p of this.#pipes.splice(0)) p.destroy();
  }

  close(): void {
    // Removed first, so a late writer gets ENOENT instead of blocking on a reader-less FIFO.
    rmSync(this.root, { recursive: true, force: true });
    this.stop();
  }

  /** Each write to the FIFO is one or more newline-separated numbers, as `echo N > export`. */
  #listen(file: string, handle: (n: number) => void): void {
    const p = join(this.gpio, file);
    execFileSync('mkfifo', ['-m', '0220', p]);
    // O_RDWR: opening never blocks, and the pipe never sees EOF between writers.
    const pipe = new Socket({ fd: openSync(p, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    let pending = '';
    pipe.on('data', (chunk) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) if (l.trim()) handle(Number(l.trim()));
    });
    this.#pipes.push(pipe);
  }

  #export(n: number): void {
    const chip = this.chips.find((c) => n >= c.base && n < c.base + c.ngpio);
    // The real kernel answers EINVAL to the write; a FIFO cannot, so nothing appears.
    if (!chip) return;
    const dir = this.lineDir(n);
    mkdirSync(dir, { recursive: true });
    if (this.#stuck.has(n)) return;
    if (this.#delayMs === 0) {
      this.#files(n, chip);
      return;
    }
    const t = setTimeout(() => {
      this.#timers.delete(t);
      // Unexported meanwhile: nothing left for udev to set up.
      if (existsSync(dir)) this.#files(n, chip);
    }, this.#delayMs);
    this.#timers.add(t);
  }

  #files(n: number, chip: FakeChip): void {
    const dir = this.lineDir(n);
    writeFileSync(join(dir, 'direction'), 'in\n');
    writeFileSync(join(dir, 'active_low'), '0\n');
    if (!chip.noEdge) writeFileSync(join(dir, 'edge'), 'none\n');
    writeFileSync(join(dir, 'value'), '0\n');
    this.#showValue(n);
  }

  #showValue(n: number): void {
    const dir = this.lineDir(n);
    try {
      const activeLow = readFileSync(join(dir, 'active_low'), 'utf8').trim() === '1';
      const value = `${(this.#physical.get(n) ?? 0) ^ (activeLow ? 1 : 0)}\n`;
      const path = join(dir, 'value');
      if (readFileSync(path, 'utf8') !== value) writeFileSync(path, value);
    } catch {
      // not exported (or unexported meanwhile): nothing to show
    }
  }
}
