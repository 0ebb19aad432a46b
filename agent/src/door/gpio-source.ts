// Door contacts, lock relays and exit buttons wired to GPIO inputs (no controller protocol).
// Lines are numbered from the chip's sysfs base (gpio-chip.ts), configured through sysfs
// (gpio-sysfs.ts), watched by edge interrupt through onoff (epoll on the value file) where
// the kernel offers it, else polled, and debounced (gpio-debounce.ts). GPIO events carry no
// identity: anonymous unlocks and door states.
import { closeSync } from 'node:fs';
import type { Method } from '@doorcast/firmware-protocol';
import { z } from 'zod';
import { type Logger, silentLogger } from '../obs/log.js';
import { Counter, metric, Registry } from '../obs/metrics.js';
import type { Deliver, SourceEvent } from './event.js';
import { type GpioChip, GpioError, listChips, pickChip, sysfsNumber } from './gpio-chip.js';
import { Debouncer } from './gpio-debounce.js';
import { type Edge, SysfsLine } from './gpio-sysfs.js';
import type { DoorSource, SourceStatus } from './source.js';
import { sourceMetrics } from './stream-source.js';

const Input = z.strictObject({
  /** Line offset on the chip (BCM number on a Pi), not the sysfs number. */
  line: z.number().int().min(0).max(1023),
  door: z.number().int().min(1).max(16),
  role: z.enum(['door-contact', 'lock-relay', 'exit-button']),
  /** The input reads 0 when active (a contact pulled to ground). */
  activeLow: z.boolean().default(false),
  /** Which changes become events: rising = becoming active. */
  edge: z.enum(['both', 'rising', 'falling']).default('both'),
  debounceMs: z.number().int().min(0).max(5000).default(50),
});

export const GpioSourceSchema = z.strictObject({
  kind: z.literal('gpio'),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and -, at most 64'),
  /** Chip label (pinctrl-bcm2711) or directory (gpiochip512); default: the Pi's main chip. */
  chip: z.string().min(1).max(64).optional(),
  sysfsRoot: z.string().min(1).default('/sys'),
  /** interrupt: epoll via onoff where the line has an edge file, else poll. */
  watch: z.enum(['interrupt', 'poll']).default('interrupt'),
  pollMs: z.number().int().min(1).max(1000).default(10),
  inputs: z.array(Input).min(1).max(32),
});
export type GpioSourceConfig = z.infer<typeof GpioSourceSchema>;

export interface GpioSourceOptions extends Omit<GpioSourceConfig, 'kind'> {
  log?: Logger;
  registry?: Registry;
  now?: () => number;
}

/** The relay says the door was released, not how: 'remote' (by the controller, no credential seen). */
const UNLOCK_METHOD: Record<'lock-relay' | 'exit-button', Method> = { 'lock-relay': 'remote', 'exit-button': 'exit-button' };

interface Watched {
  input: z.infer<typeof Input>;
  line: SysfsLine;
  debounce: Debouncer;
  stop(): void;
}

export class GpioSource implements DoorSource {
  readonly name: string;
  readonly #o: GpioSourceOptions;
  readonly #log: Logger;
  readonly #m;
  readonly #lost;
  readonly #bounces;
  readonly #now: () => number;
  #watched: Watched[] = [];
  #status: SourceStatus;
  #chip: GpioChip | undefined;

  constructor(o: GpioSourceOptions) {
    this.#o = o;
    this.name = o.name;
    this.#log = (o.log ?? silentLogger).child({ source: o.name });
    const registry = o.registry ?? new Registry();
    this.#m = sourceMetrics(registry);
    this.#now = o.now ?? Date.now;
    // No controller keeps these for a retry: an event the store refuses is gone; count it.
    this.#lost = metric(registry, 'doorcast_gpio_events_lost_total', (registers) => new Counter({ name: 'doorcast_gpio_events_lost_total', help: 'GPIO events the store could not take (no controller to retry them)', labelNames: ['source'], registers }));
    this.#bounces = metric(registry, 'doorcast_gpio_bounces_total', (registers) => new Counter({ name: 'doorcast_gpio_bounces_total', help: 'Contact bounces suppressed by debounce', labelNames: ['source'], registers }));
    this.#status = { name: o.name, kind: 'gpio', link: 'stopped', detail: '', reconnects: 0, eventsDelivered: 0, lastEventAt: null };
  }

  get chip(): GpioChip | undefined {
    return this.#chip;
  }

  status(): SourceStatus {
    return { ...this.#status };
  }

  /** Never throws: no GPIO on this box is a 'down' status with the fix in its detail. */
  async start(deliver: Deliver): Promise<void> {
    this.#status.link = 'starting';
    const o = this.#o;
    try {
      const chip = pickChip(listChips(o.sysfsRoot), o.chip, o.sysfsRoot);
      this.#chip = chip;
      const modes: string[] = [];
      for (const input of o.inputs) {
        const number = sysfsNumber(chip, input.line, `${o.name}.inputs line ${input.line}`);
        const line = new SysfsLine(o.sysfsRoot, { number, activeLow: input.activeLow, edge: input.edge as Edge });
        await line.open();
        const debounce = new Debouncer(input.debounceMs, await line.read());
        const w: Watched = { input, line, debounce, stop: () => {} };
        this.#watched.push(w);
        modes.push(`${input.role}@${chip.name}+${input.line}=gpio${number}:${await this.#watch(w, deliver)}`);
      }
      this.#status.link = 'up';
      this.#status.detail = `${chip.label} base ${chip.base}: ${modes.join(', ')}`;
      this.#m.up.set({ source: this.name }, 1);
      this.#log.info({ chip: chip.name, label: chip.label, base: chip.base, inputs: modes }, 'gpio source up');
    } catch (err) {
      this.#status.link = 'down';
      this.#status.detail = err instanceof GpioError ? `${err.message}; fix: ${err.fix}` : (err as Error).message;
      this.#m.up.set({ source: this.name }, 0);
      this.#log.error({ err: this.#status.detail }, 'gpio source down');
      await this.#closeLines();
    }
  }

  async stop(): Promise<void> {
    await this.#closeLines();
    this.#status.link = 'stopped';
    this.#m.up.set({ source: this.name }, 0);
  }

  async #closeLines(): Promise<void> {
    const ws = this.#watched;
    this.#watched = [];
    for (const w of ws) w.stop();
    for (const w of ws) await w.line.close();
  }

  /** Starts watching one line; returns how ('interrupt' or 'poll …'). */
  async #watch(w: Watched, deliver: Deliver): Promise<string> {
    let settle: NodeJS.Timeout | undefined;
    let reading = false;
    const check = async () => {
      if (reading) return;
      reading = true;
      try {
        this.#sample(w, await w.line.read(), deliver);
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'gpio read failed');
      } finally {
        reading = false;
      }
      // A pending change is confirmed only after it has held: look again then.
      clearTimeout(settle);
      const d = w.debounce.deadline();
      if (d !== null) settle = setTimeout(() => void check(), Math.max(0, d - this.#now()) + 1);
    };
    const o = this.#o;
    if (o.watch === 'interrupt' && o.sysfsRoot === '/sys' && (await w.line.hasInterrupts())) {
      try {
        const { Gpio } = await import('onoff');
        // Already exported and configured above; onoff adds the epoll wait on the value file.
        const g = new Gpio(w.line.config.number, 'in', w.input.edge, { activeLow: w.input.activeLow, reconfigureDirection: false });
        // Release onoff's handles without its unexport(): SysfsLine.close decides about that,
        // so a line someone else exported stays exported.
        const release = () => {
          try {
            g.unwatchAll();
          } catch {
            // never watched: nothing to remove from epoll
          }
          closeSync((g as unknown as { _valueFd: number })._valueFd);
        };
        try {
          g.watch(() => void check());
        } catch (err) {
          release();
          throw err;
        }
        w.stop = () => {
          clearTimeout(settle);
          release();
        };
        return 'interrupt';
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'edge interrupts unavailable on this line; polling');
      }
    }
    const timer = setInterval(() => void check(), o.pollMs);
    w.stop = () => {
      clearInterval(timer);
      clearTimeout(settle);
    };
    return `poll ${o.pollMs} ms`;
  }

  #sample(w: Watched, value: 0 | 1, deliver: Deliver): void {
    const before = w.debounce.bounces;
    const level = w.debounce.sample(value, this.#now());
    if (w.debounce.bounces > before) this.#bounces.inc({ source: this.name }, w.debounce.bounces - before);
    if (level === null) return;
    const { input } = w;
    if ((input.edge === 'rising' && level === 0) || (input.edge === 'falling' && level === 1)) return;
    const base = { source: this.name, controllerId: `gpio:${this.#chip?.name ?? '?'}`, seq: null, door: input.door, controllerTime: 0 };
    const event: SourceEvent =
      input.role === 'door-contact'
        ? { ...base, kind: 'door-state', state: level ? 'opened' : 'closed' }
        : { ...base, kind: 'unlock', method: UNLOCK_METHOD[input.role], granted: true, reason: 0, credential: new Uint8Array(0) };
    // A relay or button releasing is the event; its return to rest is not another unlock.
    if (event.kind === 'unlock' && level === 0) return;
    let outcome: string;
    try {
      outcome = deliver(event);
    } catch (err) {
      outcome = 'failed';
      this.#log.error({ err: (err as Error).message }, 'deliver threw');
    }
    this.#m.events.inc({ source: this.name, kind: event.kind, outcome });
    if (outcome === 'failed') this.#lost.inc({ source: this.name });
    this.#status.eventsDelivered++;
    this.#status.lastEventAt = this.#now();
  }
}

export function gpioSource(o: GpioSourceOptions): GpioSource {
  return new GpioSource(o);
}
