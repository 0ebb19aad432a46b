// Door contacts, lock relays and exit buttons wired to GPIO inputs (no controller protocol).
// Lines are numbered from the chip's sysfs base (gpio-chip.ts), exported and configured
// through sysfs (gpio-sysfs.ts), woken by edge interrupts through onoff where the kernel
// offers them, else polled (gpio-watch.ts), debounced (gpio-debounce.ts) and mapped to
// anonymous door events (gpio-events.ts).
import { z } from 'zod';
import { Backoff } from '../link/backoff.js';
import { type Logger, silentLogger } from '../obs/log.js';
import { Counter, metric, Registry } from '../obs/metrics.js';
import type { Deliver, Delivery } from './event.js';
import { type GpioChip, GpioError, listChips, pickChip, sysfsNumber } from './gpio-chip.js';
import { Debouncer } from './gpio-debounce.js';
import { gpioEvent, RELAY_METHODS } from './gpio-events.js';
import { SysfsLine } from './gpio-sysfs.js';
import { LineWatch } from './gpio-watch.js';
import type { DoorSource, SourceStatus } from './source.js';
import { sourceMetrics } from './stream-source.js';

const InputCommon = {
  /** Line offset on the chip (the BCM number on a Pi), not the sysfs number. */
  line: z.number().int().min(0).max(1023),
  door: z.number().int().min(1).max(16),
  /** The input reads 0 when active (a contact pulled up, closing to ground). */
  activeLow: z.boolean().default(false),
  debounceMs: z.number().int().min(0).max(5000).default(50),
};
/** Which settled changes become events; rising = becoming active (gpio-events.ts). */
const UnlockEdge = z.enum(['rising', 'falling']).default('rising');
const Input = z.discriminatedUnion('role', [
  z.strictObject({ ...InputCommon, role: z.literal('door-contact'), edge: z.enum(['both', 'rising', 'falling']).default('both') }),
  z.strictObject({
    ...InputCommon,
    role: z.literal('lock-relay'),
    edge: UnlockEdge,
    method: z.enum(RELAY_METHODS, { error: `GPIO cannot see what released the lock: set method to what drives this relay (${RELAY_METHODS.join(', ')})` }),
  }),
  z.strictObject({ ...InputCommon, role: z.literal('exit-button'), edge: UnlockEdge }),
]);
export type GpioInputConfig = z.infer<typeof Input>;

export const GpioSourceSchema = z.strictObject({
  kind: z.literal('gpio'),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and -, at most 64'),
  /** Default: gpio:<chip label>, stable across the kernel's renumbering of chips. */
  controllerId: z.string().min(1).max(32).optional(),
  /** Chip label (pinctrl-bcm2711) or sysfs directory (gpiochip512); default: the Pi's main chip. */
  chip: z.string().min(1).max(64).optional(),
  /** Only tests point this elsewhere: onoff's interrupts exist under the real /sys only. */
  sysfsRoot: z.string().min(1).default('/sys'),
  watch: z.enum(['interrupt', 'poll']).default('interrupt'),
  pollMs: z.number().int().min(1).max(1000).default(10),
  inputs: z
    .array(Input)
    .min(1)
    .max(32)
    .refine((xs) => new Set(xs.map((x) => x.line)).size === xs.length, 'each line may be used by one input only'),
});
export type GpioSourceConfig = z.infer<typeof GpioSourceSchema>;

export interface GpioSourceOptions extends Omit<GpioSourceConfig, 'kind'> {
  log?: Logger;
  registry?: Registry;
  /** Clock for debounce; default Date.now. */
  now?: () => number;
  /** Retry of a down source (no sysfs yet, pin busy, line unexported under us). */
  backoff?: Backoff;
  /** How long udev gets to hand a freshly exported line's files to our group. */
  exportWaitMs?: number;
}

export function gpioMetrics(registry: Registry) {
  return {
    ...sourceMetrics(registry),
    inputEvents: metric(registry, 'doorcast_gpio_events_total', (registers) => new Counter({ name: 'doorcast_gpio_events_total', help: 'GPIO door events, by source, input, kind and delivery outcome', labelNames: ['source', 'input', 'kind', 'outcome'], registers })),
    lost: metric(registry, 'doorcast_gpio_events_lost_total', (registers) => new Counter({ name: 'doorcast_gpio_events_lost_total', help: 'GPIO events the store could not take (no controller keeps them for a retry)', labelNames: ['source'], registers })),
    bounces: metric(registry, 'doorcast_gpio_bounces_total', (registers) => new Counter({ name: 'doorcast_gpio_bounces_total', help: 'Contact bounces suppressed by debounce, by source and input', labelNames: ['source', 'input'], registers })),
  };
}

const inputLabel = (i: GpioInputConfig) => `door${i.door}:${i.role}:${i.line}`;

export class GpioSource implements DoorSource {
  readonly name: string;
  readonly #o: GpioSourceOptions;
  readonly #log: Logger;
  readonly #m: ReturnType<typeof gpioMetrics>;
  readonly #now: () => number;
  readonly #backoff: Backoff;
  #deliver: Deliver | undefined;
  #lines: SysfsLine[] = [];
  #watches: LineWatch[] = [];
  /** One per input, kept across reopen: a change during an outage is reported on return. */
  readonly #debouncers: Debouncer[];
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  /** Bumped on every open and stop: callbacks of an older generation are ignored. */
  #generation = 0;
  #status: SourceStatus;
  #chip: GpioChip | undefined;

  constructor(o: GpioSourceOptions) {
    this.#o = o;
    this.name = o.name;
    this.#log = (o.log ?? silentLogger).child({ source: o.name });
    this.#m = gpioMetrics(o.registry ?? new Registry());
    this.#now = o.now ?? Date.now;
    this.#backoff = o.backoff ?? new Backoff({ baseMs: 1000, capMs: 60_000, floorMs: 500 });
    this.#debouncers = o.inputs.map((i) => new Debouncer(i.debounceMs));
    this.#status = { name: o.name, kind: 'gpio', link: 'stopped', detail: '', reconnects: 0, eventsDelivered: 0, lastEventAt: null };
  }

  /** The chip the lines were resolved on, once up. */
  get chip(): GpioChip | undefined {
    return this.#chip;
  }

  status(): SourceStatus {
    return { ...this.#status };
  }

  /** Never throws: no GPIO on this box is a 'down' status with the fix in its detail, retried. */
  async start(deliver: Deliver): Promise<void> {
    this.#deliver = deliver;
    this.#stopped = false;
    this.#status.link = 'starting';
    await this.#open();
  }

  /** Stops watching and unexports the lines this source exported. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#generation++;
    clearTimeout(this.#timer);
    await this.#release();
    this.#status.link = 'stopped';
    this.#m.up.set({ source: this.name }, 0);
  }

  async #open(): Promise<void> {
    if (this.#stopped) return;
    const gen = ++this.#generation;
    const o = this.#o;
    this.#m.reconnects.inc({ source: this.name });
    try {
      const chip = pickChip(listChips(o.sysfsRoot), o.chip, o.sysfsRoot);
      this.#chip = chip;
      const numbers = o.inputs.map((input, i) => sysfsNumber(chip, input.line, `${o.name}.inputs.${i}.line`));
      const interrupts = o.watch === 'interrupt' && o.sysfsRoot === '/sys';
      const modes: string[] = [];
      for (const [i, input] of o.inputs.entries()) {
        const line = new SysfsLine(o.sysfsRoot, { number: numbers[i]!, activeLow: input.activeLow, edge: interrupts ? 'both' : 'none' });
        this.#lines.push(line);
        await line.open(o.exportWaitMs);
        if (gen !== this.#generation) {
          // Stopped while exporting: the stop may have missed this line's export.
          await line.close();
          return;
        }
        const watch = this.#watchLine(gen, i, line);
        this.#watches.push(watch);
        await watch.start();
        if (gen !== this.#generation) return;
        modes.push(`${input.role}@${chip.name}+${input.line}=gpio${line.config.number}:${watch.how}`);
      }
      // Up means the baselines are known: any change from here on is reported.
      await Promise.all(this.#watches.map((w, i) => w.settled(o.inputs[i]!.debounceMs + 1000)));
      if (gen !== this.#generation) return;
      this.#backoff.reset();
      this.#status.link = 'up';
      this.#status.detail = `${chip.label} base ${chip.base}: ${modes.join(', ')}`;
      this.#m.up.set({ source: this.name }, 1);
      this.#log.info({ chip: chip.name, label: chip.label, base: chip.base, inputs: modes }, 'gpio source up');
    } catch (err) {
      if (gen !== this.#generation) return;
      await this.#release();
      this.#down(err);
    }
  }

  #watchLine(gen: number, i: number, line: SysfsLine): LineWatch {
    const input = this.#o.inputs[i]!;
    const label = inputLabel(input);
    return new LineWatch({
      line,
      debounce: this.#debouncers[i]!,
      mode: this.#o.watch === 'interrupt' && this.#o.sysfsRoot === '/sys' ? 'interrupt' : 'poll',
      pollMs: this.#o.pollMs,
      now: this.#now,
      onLevel: (level) => this.#emit(input, label, level),
      onBounces: (n) => this.#m.bounces.inc({ source: this.name, input: label }, n),
      onFallback: (reason) => this.#log.warn({ input: label, err: reason }, 'edge interrupts unavailable on this line; polling'),
      onFailure: (err) => {
        if (gen !== this.#generation) return;
        this.#generation++;
        void this.#release().then(() => this.#down(err));
      },
    });
  }

  #emit(input: GpioInputConfig, label: string, level: 0 | 1): void {
    const controllerId = this.#o.controllerId ?? `gpio:${this.#chip?.label ?? '?'}`;
    const event = gpioEvent(input, level, { source: this.name, controllerId });
    if (!event) return;
    let outcome: Delivery;
    try {
      outcome = this.#deliver!(event);
    } catch (err) {
      outcome = 'failed';
      this.#log.error({ input: label, err: (err as Error).message }, 'deliver threw');
    }
    this.#m.events.inc({ source: this.name, kind: event.kind, outcome });
    this.#m.inputEvents.inc({ source: this.name, input: label, kind: event.kind, outcome });
    if (outcome === 'failed') {
      // No controller holds GPIO events for a retry (seq is null, nothing to ack): a refused
      // event is gone. Count and log it; the next change of the line is delivered normally.
      this.#m.lost.inc({ source: this.name });
      this.#log.error({ input: label, kind: event.kind }, 'gpio event lost: the store refused it');
      return;
    }
    this.#status.eventsDelivered++;
    this.#status.lastEventAt = this.#now();
  }

  async #release(): Promise<void> {
    const watches = this.#watches;
    const lines = this.#lines;
    this.#watches = [];
    this.#lines = [];
    for (const w of watches) w.stop();
    for (const l of lines) await l.close();
  }

  #down(err: unknown): void {
    this.#m.up.set({ source: this.name }, 0);
    if (this.#stopped) return;
    const detail = err instanceof GpioError ? `${err.message}; fix: ${err.fix}` : (err as Error).message;
    const delay = this.#backoff.next();
    this.#status.link = 'down';
    this.#status.detail = `${detail}; retrying in ${delay} ms`;
    this.#status.reconnects++;
    this.#log.error({ err: detail, retryMs: delay, attempt: this.#backoff.attempts }, 'gpio source down');
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#open(), delay);
    this.#timer.unref();
  }
}

export function gpioSource(o: GpioSourceOptions): GpioSource {
  return new GpioSource(o);
}
