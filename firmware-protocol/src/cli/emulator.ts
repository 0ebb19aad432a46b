// doorcast-emulator: a door controller on a serial device or a TCP port, with realistic
// traffic in accelerated time and optional line noise.
import { parseArgs } from 'node:util';
import { ControllerEmulator } from '../emulator/controller.js';
import { TrafficDriver } from '../emulator/driver.js';
import { Traffic } from '../emulator/traffic.js';
import { onSerial, onTcp, type Transport } from '../emulator/transport.js';

const USAGE = `usage: doorcast-emulator (--serial <path> | --tcp <host:port>) [options]
  --id <controllerId>   controller id (default DC-EMU-1)
  --doors <n>           doors 1..16 (default 2)
  --speed <x>           simulated seconds per real second (default 60)
  --start <iso>         simulated start time (default today 06:30 local)
  --noise <p>           line noise probability 0..1 (garbage, bit flips, splits)
  --seed <n>            PRNG seed (default 1)
  --count <n>           stop generating after n passages`;

export async function main(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      options: {
        serial: { type: 'string' },
        tcp: { type: 'string' },
        id: { type: 'string', default: 'DC-EMU-1' },
        doors: { type: 'string', default: '2' },
        speed: { type: 'string', default: '60' },
        start: { type: 'string' },
        noise: { type: 'string', default: '0' },
        seed: { type: 'string', default: '1' },
        count: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  }
  try {
    a = parse();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = a.values;
  const num = (name: string, s: string | undefined, min: number, max: number): number => {
    const n = Number(s);
    if (!Number.isFinite(n) || n < min || n > max) throw new RangeError(`--${name} must be a number in ${min}..${max}, got ${s}`);
    return n;
  };
  if (v.help || (!v.serial && !v.tcp)) {
    process.stderr.write(`${USAGE}\n`);
    return v.help ? 0 : 2;
  }
  let doors: number, speed: number, noise: number, seed: number, count: number | undefined, start: number;
  try {
    doors = num('doors', v.doors, 1, 16);
    speed = num('speed', v.speed, 0.01, 100_000);
    noise = num('noise', v.noise, 0, 1);
    seed = num('seed', v.seed, 0, 2 ** 32);
    count = v.count === undefined ? undefined : num('count', v.count, 1, 1e9);
    const today = new Date();
    today.setHours(6, 30, 0, 0);
    start = v.start ? Date.parse(v.start) : today.getTime();
    if (!Number.isFinite(start)) throw new RangeError(`--start must be an ISO time, got ${v.start}`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  let simStart = 0;
  let driver: TrafficDriver | undefined;
  const emulator = new ControllerEmulator({
    controllerId: v.id!,
    doors,
    seed,
    noise: { garbage: noise, bitFlip: noise / 2, split: noise },
    now: () => (driver ? driver.simNow() : simStart),
  });
  simStart = start;
  let transport: Transport;
  if (v.serial) transport = await onSerial(emulator, v.serial);
  else {
    const [host, port] = v.tcp!.split(':');
    transport = await onTcp(emulator, host || '127.0.0.1', Number(port ?? 0));
  }
  driver = new TrafficDriver(emulator, new Traffic({ doors, residents: 300, seed, utcOffsetMin: -new Date(start).getTimezoneOffset() }), { speed, startAt: start, maxPassages: count });
  driver.start();
  process.stdout.write(`doorcast-emulator ${v.id} on ${transport.describe}, ${doors} doors, ×${speed}\n`);
  const stats = setInterval(() => {
    const s = emulator.stats();
    process.stdout.write(`${new Date(driver!.simNow()).toISOString()} generated=${s.generated} acked=${s.acked} pending=${s.pending} retransmits=${s.retransmits} dropped=${s.dropped}\n`);
  }, 2000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(stats);
  driver.stop();
  await transport.close();
  return 0;
}

if (process.argv[1]?.includes('doorcast-emulator')) process.exitCode = await main(process.argv.slice(2));
