// One input line through the kernel's sysfs GPIO interface: export, wait for udev to hand the
// files to our group, configure direction/active_low/edge, read, unexport. The root is a
// parameter so tests run this same code against a fake tree with a fake kernel.
import { access, constants, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GpioError } from './gpio-chip.js';

export type Edge = 'none' | 'rising' | 'falling' | 'both';

export interface LineConfig {
  number: number;
  activeLow: boolean;
  /** The kernel's edge setting: 'both' to be woken by interrupts, 'none' when polled. */
  edge: Edge;
}

export class SysfsLine {
  readonly dir: string;
  #exportedByUs = false;
  #closed = false;

  constructor(
    readonly sysfsRoot: string,
    readonly config: LineConfig,
  ) {
    this.dir = join(sysfsRoot, 'class', 'gpio', `gpio${config.number}`);
  }

  get valuePath(): string {
    return join(this.dir, 'value');
  }

  /** Exports (unless something else already did) and configures the line as an input. */
  async open(waitMs = 2000): Promise<void> {
    const root = join(this.sysfsRoot, 'class', 'gpio');
    if (!(await exists(this.dir))) {
      try {
        // One write per number, newline-terminated as `echo N > export` writes it.
        await writeFile(join(root, 'export'), `${this.config.number}\n`);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new GpioError('export', join(root, 'export'), `cannot export GPIO ${this.config.number} (${code})`, exportFix(code));
      }
      this.#exportedByUs = true;
    }
    // udev sets group and mode on the new files a moment after export.
    const deadline = Date.now() + waitMs;
    for (const f of ['value', 'direction', 'active_low']) {
      const p = join(this.dir, f);
      while (!(await writable(p))) {
        if (this.#closed) throw new GpioError('io', p, 'closed while waiting for udev', 'none needed: the source was stopped');
        if (Date.now() > deadline) throw new GpioError('export', p, 'not writable after export', 'check the udev rule for gpio (deploy/udev/60-doorcast.rules) and the gpio group');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    await this.#write('direction', 'in');
    await this.#write('active_low', this.config.activeLow ? '1' : '0');
    // Lines without interrupt support have no edge file; they are polled.
    if (await exists(join(this.dir, 'edge'))) await this.#write('edge', this.config.edge);
  }

  async hasInterrupts(): Promise<boolean> {
    return exists(join(this.dir, 'edge'));
  }

  /** The logical level (active_low applied by the kernel). */
  async read(): Promise<0 | 1> {
    let text: string;
    try {
      text = await readFile(this.valuePath, 'utf8');
    } catch (err) {
      throw new GpioError('io', this.valuePath, `cannot read (${(err as NodeJS.ErrnoException).code})`, 'the line was unexported or the chip removed; restart the agent');
    }
    return text.trim() === '0' ? 0 : 1;
  }

  /** Unexports only what we exported; a line exported by someone else stays as it was. */
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#exportedByUs) return;
    this.#exportedByUs = false;
    await writeFile(join(this.sysfsRoot, 'class', 'gpio', 'unexport'), `${this.config.number}\n`).catch(() => {});
  }

  async #write(file: string, value: string): Promise<void> {
    const p = join(this.dir, file);
    try {
      await writeFile(p, value);
    } catch (err) {
      throw new GpioError('io', p, `cannot write ${value} (${(err as NodeJS.ErrnoException).code})`, 'check permissions on the gpio sysfs files (gpio group)');
    }
  }
}

/** The fix for a refused export, by errno. */
export function exportFix(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'add the doorcast user to the gpio group (deploy/udev/60-doorcast.rules)';
    case 'EINVAL':
      // What a pre-6.6 pin number (no chip base) gets on a 6.6+ kernel.
      return 'no such GPIO number: check the chip and its base (ls /sys/class/gpio)';
    default:
      // EBUSY: claimed by a kernel driver or another process (e.g. a 1-wire overlay).
      return 'free the pin: remove the overlay or process that holds it';
  }
}

async function exists(p: string): Promise<boolean> {
  return access(p, constants.F_OK).then(
    () => true,
    () => false,
  );
}

async function writable(p: string): Promise<boolean> {
  return access(p, constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
}
