// Runs inside a private mount namespace (see gpio.test.ts) where /sys/class is a tmpfs: the
// fake kernel builds /sys/class/gpio there, so the source takes its real-root path through
// onoff (which hardcodes /sys/class/gpio). Prints one JSON line of what happened.
import { GpioSource, GpioSourceSchema } from '../gpio-source.js';
import { FakeGpioKernel } from './fake-sysfs.js';

const k = new FakeGpioKernel([{ base: 512, ngpio: 54, label: 'pinctrl-bcm2711' }], '/sys');
const warnings: string[] = [];
const log = { child: () => log, info() {}, warn: (o: { err?: string }) => warnings.push(o.err ?? ''), error() {}, debug() {} };
const src = new GpioSource({ ...GpioSourceSchema.parse({ kind: 'gpio', name: 'ns', inputs: [{ line: 4, door: 1, role: 'door-contact', debounceMs: 0 }] }), log: log as never });
const events: string[] = [];
await src.start((e) => {
  events.push(e.kind === 'door-state' ? e.state : e.kind);
  return 'stored';
});
k.set(516, 1);
for (let i = 0; i < 200 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
await src.stop();
await new Promise((r) => setTimeout(r, 50));
k.stop();
process.stdout.write(`${JSON.stringify({ status: src.status(), detailWhenUp: warnings, events, exports: k.exports, unexports: k.unexports })}\n`);
