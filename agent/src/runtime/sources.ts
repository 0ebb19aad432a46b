// Builds the configured door-event sources.
import type { SourceConfig } from '../config/schema.js';
import { gpioSource } from '../door/gpio-source.js';
import { serialSource } from '../door/serial-source.js';
import { simSource } from '../door/sim-source.js';
import type { DoorSource } from '../door/source.js';
import { tcpSource } from '../door/tcp-source.js';
import { udpControllerSource } from '../door/uhppote/udp-controller-source.js';
import type { Logger } from '../obs/log.js';
import type { Registry } from '../obs/metrics.js';

export interface SourceDeps {
  log: Logger;
  registry: Registry;
  syncedNow: () => number | null;
}

export function buildSource(c: SourceConfig, d: SourceDeps): DoorSource {
  switch (c.kind) {
    case 'serial':
      return serialSource({ name: c.name, path: c.path, baudRate: c.baudRate, controllerId: c.controllerId, log: d.log, registry: d.registry, syncedNow: d.syncedNow });
    case 'tcp':
      return tcpSource({ name: c.name, host: c.host, port: c.port, controllerId: c.controllerId, log: d.log, registry: d.registry, syncedNow: d.syncedNow });
    case 'gpio': {
      const { kind: _, ...gpio } = c;
      return gpioSource({ ...gpio, log: d.log, registry: d.registry });
    }
    case 'udp-controller': {
      const { kind: _, ...udp } = c;
      return udpControllerSource({ ...udp, log: d.log, registry: d.registry });
    }
    case 'sim':
      return simSource({ name: c.name, doors: c.doors, speed: c.speed, seed: c.seed, log: d.log, registry: d.registry, syncedNow: d.syncedNow });
    default:
      return c satisfies never;
  }
}
