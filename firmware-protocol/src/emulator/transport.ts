// Where an emulated controller lives: on a serial device (a pty in tests) or as a serial
// device server's TCP port that accepts one agent connection at a time.

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import type { ControllerEmulator } from './controller.js';

export interface Transport {
  describe: string;
  close(): Promise<void>;
}

export async function onSerial(emulator: ControllerEmulator, path: string, baudRate = 115200): Promise<Transport & { port: SerialPort }> {
  const port = new SerialPort({ path, baudRate, autoOpen: false, hupcl: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  emulator.attach(port);
  return {
    port,
    describe: `serial ${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        emulator.detach();
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}

export async function onTcp(emulator: ControllerEmulator, host = '127.0.0.1', port = 0): Promise<Transport & { port: number; server: Server }> {
  let current: Socket | undefined;
  const server = createServer((socket) => {
    // A device server serves one client: a new connection replaces the old one.
    current?.destroy();
    current = socket;
    socket.setNoDelay(true);
    emulator.attach(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    port: bound,
    describe: `tcp ${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        emulator.detach();
        current?.destroy();
        server.close(() => resolve());
      }),
  };
}
