// TCP and TLS listeners feeding aedes, each connection watched by the packet size guard.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface MqttListener {
  server: Server;
  port: number;
  /** Destroys connections still open, then waits for the server to close. */
  close(): Promise<void>;
}

export type ConnectionHandler = (socket: Socket, transport: 'tcp' | 'tls') => void;

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function track(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
}

export async function listenTcp(host: string, port: number, onConnection: ConnectionHandler): Promise<MqttListener> {
  // No Nagle: an ack is one small packet, and waiting to coalesce it cost ~32 ms of a ~43 ms
  // publish → ack p50 (BENCHMARKS.md "Cluster"). Mosquitto sets TCP_NODELAY too.
  const server = createNetServer({ noDelay: true }, (socket) => onConnection(socket, 'tcp'));
  const close = track(server);
  return { server, port: await listen(server, port, host), close };
}

export async function listenTls(host: string, port: number, certFile: string, keyFile: string, onConnection: ConnectionHandler): Promise<MqttListener> {
  const server = createTlsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', noDelay: true }, (socket) => onConnection(socket, 'tls'));
  // A failed handshake is the client's problem; without a listener it would be an uncaught error.
  server.on('tlsClientError', () => undefined);
  const close = track(server);
  return { server, port: await listen(server, port, host), close };
}
