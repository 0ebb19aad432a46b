// A bare aedes (no doorcast hooks, anonymous) on a free loopback port, for the raw-publish
// comparison with Mosquitto: the engine alone, without our auth, ACL and ingestion on top.
// Prints `port <n>` once listening; SIGTERM closes it.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const aedes = await Aedes.createBroker();
const server = createServer((s) => aedes.handle(s));
server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => server.close(() => aedes.close(() => process.exit(0))));
