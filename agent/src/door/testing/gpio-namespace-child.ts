// Runs inside a private mount namespace (see gpio-interrupt.test.ts) where /sys/class is a
// tmpfs: the fake kernel builds /sys/class/gpio there, so the source takes its real-/sys path
// through onoff (which hardcodes /sys/class/gpio). Prints one JSON line of what happened and
// must then exit on its own: a handle left open by stop() would hang it.
import { GpioSource, GpioSourceSchema } from '../gpio-source.js';
import { FakeGpioKernel, LAYOUTS } from './fake-sysfs.js';

const k = new FakeGpioKernel(LAYOUTS.pi4Kernel66, '/sys');
const warnings: string[] = [];
const log = { child: () => log, info() {}, warn: (o: { err?: string }) => warnings.push(o.err ?? ''), error() {}, debug() {} };
const { kind: _, ...config } = GpioSourceSchema.parse({ kind: 'gpio', name: 'ns', inputs: [{ line: 4, door: 1, role: 'door-contact', debounceMs: 0 }] });
const src = new GpioSource({ ...config, log: log as never });
const events: string[] = [];
await src.start((e) => {
  events.push(e.kind === 'door-state' ? e.state : e.kind);
  return 'stored';
});
const up = src.status();
const edge = k.read(516, 'edge');
k.set(516, 1);
for (let i = 0; i < 200 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
await src.stop();
for (let i = 0; i < 200 && k.unexports.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
k.stop();
process.stdout.write(`${JSON.stringify({ up, edge, warnings, events, exports: k.exports, unexports: k.unexports })}\n`);
