// The demo's door controller: the firmware-protocol emulator, in-process, speaking real
// doorlink bytes to the same StreamSource a serial port would feed.

import { Duplex, PassThrough } from 'node:stream';
import { ControllerEmulator, Traffic, TrafficDriver } from '@doorcast/firmware-protocol/emulator';
import type { Deliver } from './event.js';
import { StreamSource, type StreamSourceOptions } from './stream-source.js';

/** Two connected in-memory byte streams, like a null-modem cable. */
export function duplexPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  return [Duplex.from({ readable: ba, writable: ab }), Duplex.from({ readable: ab, writable: ba })];
}

export interface SimSourceOptions extends Omit<StreamSourceOptions, 'kind' | 'target' | 'connect'> {
  doors: number;
  /** Simulated ms per real ms. */
  speed: number;
  seed: number;
  /** Simulated start (Unix ms); default today 06:45 local, just before the morning peak. */
  startAt?: number;
  residents?: number;
}

export class SimSource extends StreamSource {
  readonly emulator: ControllerEmulator;
  readonly driver: TrafficDriver;

  constructor(o: SimSourceOptions) {
    const startAt = o.startAt ?? new Date(new Date().setHours(6, 45, 0, 0)).getTime();
    let driver: TrafficDriver | undefined;
    // A simulated controller has no memory across runs, so each run is a new controller:
    // restarting its sequence under the old id would read as retransmissions of stored events.
    const controllerId = `SIM-${o.name.slice(0, 18)}-${Date.now().toString(36)}`;
    const emulator = new ControllerEmulator({ controllerId, doors: o.doors, seed: o.seed, now: () => (driver ? driver.simNow() : startAt) });
    super({
      ...o,
      kind: 'sim',
      target: `simulator ${o.name}`,
      connect: async () => {
        const [agentEnd, controllerEnd] = duplexPair();
        emulator.attach(controllerEnd);
        return agentEnd;
      },
    });
    driver = new TrafficDriver(emulator, new Traffic({ doors: o.doors, residents: o.residents ?? 400, seed: o.seed, utcOffsetMin: -new Date(startAt).getTimezoneOffset() }), { speed: o.speed, startAt });
    this.emulator = emulator;
    this.driver = driver;
  }

  override async start(deliver: Deliver): Promise<void> {
    await super.start(deliver);
    this.driver.start();
  }

  override async stop(): Promise<void> {
    this.driver.stop();
    this.emulator.stop();
    await super.stop();
  }
}

export function simSource(o: SimSourceOptions): SimSource {
  return new SimSource(o);
}
