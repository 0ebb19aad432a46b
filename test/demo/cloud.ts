// The demo's cloud: the real broker (aedes + SQLite) in this process on loopback, with the
// demo device provisioned. A rerun keeps the broker's state and issues the device a fresh
// secret, because the broker's ports (and so the bundle's URL) change every run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdentityError, type RunningBroker, startBroker } from '@doorcast/broker';
import pino from 'pino';

export async function startDemoCloud(dir: string, site: string, device: string): Promise<{ broker: RunningBroker; credentialsFile: string }> {
  const broker = await startBroker(
    { version: 1, stateDir: join(dir, 'broker'), mqtt: { tcp: { host: '127.0.0.1', port: 0 } }, http: { host: '127.0.0.1', port: 0, metrics: 'public' } },
    { logger: pino({ level: 'silent' }) },
  );
  let bundle: Awaited<ReturnType<RunningBroker['addDevice']>>;
  try {
    bundle = await broker.addDevice(site, device);
  } catch (err) {
    if (!(err instanceof IdentityError && err.code === 'exists')) throw err;
    bundle = await broker.rotateDevice(site, device);
  }
  const credentialsFile = join(dir, 'credentials.json');
  writeFileSync(credentialsFile, JSON.stringify(bundle), { mode: 0o600 });
  return { broker, credentialsFile };
}
