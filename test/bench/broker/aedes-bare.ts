// A bare aedes (no doorcast hooks, anonymous) on a port, for the raw-publish comparison with
// Mosquitto: the engines side by side, without our auth and ingestion on top.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const aedes = await Aedes.createBroker();
const server = createServer((s) => aedes.handle(s));
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => aedes.close(() => process.exit(0))));
