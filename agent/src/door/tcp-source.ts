// doorlink through a serial device server (RS-485-to-Ethernet box) in TCP server mode.
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { StreamSource, type StreamSourceOptions } from './stream-source.js';

export interface TcpSourceOptions extends Omit<StreamSourceOptions, 'kind' | 'target' | 'connect'> {
  host: string;
  port: number;
  connectTimeoutMs?: number;
}

export function openTcp(host: string, port: number, timeoutMs = 5000): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const timer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function tcpSource(o: TcpSourceOptions): StreamSource {
  return new StreamSource({ ...o, kind: 'tcp', target: `${o.host}:${o.port}`, connect: () => openTcp(o.host, o.port, o.connectTimeoutMs) });
}
