// doorlink over a serial device (/dev/ttyUSB*, /dev/ttyAMA*, a pty). The path may appear
// late or vanish on unplug; StreamSource reconnects.

import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { StreamSource, type StreamSourceOptions } from './stream-source.js';

export interface SerialSourceOptions extends Omit<StreamSourceOptions, 'kind' | 'target' | 'connect'> {
  path: string;
  baudRate: number;
}

export function openSerial(path: string, baudRate: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false, hupcl: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

export function serialSource(o: SerialSourceOptions): StreamSource {
  return new StreamSource({ ...o, kind: 'serial', target: o.path, connect: () => openSerial(o.path, o.baudRate) });
}
