// The agent's cloud link, unchanged, against a real Mosquitto (Debian's), with a small
// consumer playing the cloud: the broker package's own Ingestor over a plain MQTT client,
// committing to SQLite and publishing acks. MQTT 3.1.1 and 5; Mosquitto killed and restarted.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { type CredentialBundle, exampleManifestBody, generateManifestKeyPair, parseTopic, publicKeyToBase64, signManifest, topicFor } from '@doorcast/firmware-protocol/cloud';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Clock } from '../../agent/src/clock/clock.js';
import { silentLogger } from '../../agent/src/obs/log.js';
import { Registry } from '../../agent/src/obs/metrics.js';
import { openStore, play, stamp, tempDir } from '../../agent/src/store/testing.js';
import { startCloud } from '../../agent/src/sync/cloud.js';
import { Ingestor } from '../../broker/src/ingest/ingestor.js';
import { silentLogger as brokerLog } from '../../broker/src/obs/log.js';
import { BrokerMetrics, Registry as BrokerRegistry } from '../../broker/src/obs/metrics.js';
import { SqliteImpressionStore } from '../../broker/src/store/sqlite-impression-store.js';
import { until } from '../../broker/src/testing.js';

const ref = { site: 'maple', device: 'gate-1' };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

// `user`: as root, Mosquitto would drop to its own user and lose the 0700 temp dir.
function startMosquitto(dir: string, port: number): ChildProcess {
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${join(dir, 'passwd')}\npersistence false\nuser ${userInfo().username}\n`);
  const p = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  cleanups.push(() => p.kill('SIGKILL'));
  return p;
}

async function connectRetry(url: string, opts: Parameters<typeof connectAsync>[1]): Promise<MqttClient> {
  for (let i = 0; i < 100; i++) {
    try {
      return await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 2000, ...opts });
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('mosquitto did not come up');
}

/** The cloud's part: commit batches, then ack. */
async function startCloudConsumer(url: string, store: SqliteImpressionStore): Promise<MqttClient> {
  const c = await connectRetry(url, { clientId: 'cloud-ingest', username: 'cloud', password: 'cloud-secret-0123456789', protocolVersion: 4 });
  const ingestor = new Ingestor({
    store,
    publishAck: (r, ack) => c.publishAsync(topicFor('ack', r), JSON.stringify(ack), { qos: 1 }).then(() => undefined),
    metrics: new BrokerMetrics(new BrokerRegistry()),
    log: brokerLog,
  });
  c.on('message', (topic, payload) => {
    const t = parseTopic(topic);
    if (t?.kind === 'impressions') void ingestor.ingest('impressions', t, payload);
  });
  await c.subscribeAsync('doorcast/v1/+/+/impressions', { qos: 1 });
  cleanups.push(() => c.endAsync(true));
  return c;
}

describe.each([4, 5] as const)('agent against Mosquitto (MQTT protocol level %i)', (protocolVersion) => {
  it('delivers every impression exactly once across a Mosquitto kill, and applies the retained manifest', async () => {
    const dir = tempDir('dc-mosq-');
    const device = { user: `${ref.site}/${ref.device}`, pass: 'device-secret-0123456789' };
    execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), device.user, device.pass]);
    execFileSync('mosquitto_passwd', ['-b', join(dir, 'passwd'), 'cloud', 'cloud-secret-0123456789']);
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    let mosq = startMosquitto(dir, port);
    const cloudStore = new SqliteImpressionStore(join(dir, 'cloud.sqlite'));
    cleanups.push(() => cloudStore.close());
    let consumer = await startCloudConsumer(url, cloudStore);

    const keys = generateManifestKeyPair();
    const manifest = signManifest(exampleManifestBody(ref, 3), keys.privateKey, keys.keyId);
    await consumer.publishAsync(topicFor('manifest', ref), JSON.stringify(manifest), { qos: 1, retain: true });

    const bundle: CredentialBundle = {
      format: 'doorcast-credentials/1',
      kind: 'device',
      brokerUrl: url,
      httpUrl: 'http://127.0.0.1:1',
      username: device.user,
      password: device.pass,
      clientId: `doorcast-${ref.site}-${ref.device}`,
      site: ref.site,
      device: ref.device,
      manifestKeys: { [keys.keyId]: publicKeyToBase64(keys.publicKey) },
      issuedAt: new Date().toISOString(),
    };
    const credentialsFile = join(dir, 'credentials.json');
    writeFileSync(credentialsFile, JSON.stringify(bundle), { mode: 0o600 });
    const store = openStore();
    cleanups.push(() => store.close());
    const fill = (n: number, from: number) =>
      store.transaction(() => {
        for (let i = 0; i < n; i++) store.recordPlay(play(), stamp({ monoMs: from + i }));
      });
    fill(800, 0);
    const cloud = startCloud(
      { credentialsFile, protocolVersion, batchRecords: 200, maxInFlight: 4, ackTimeoutMs: 3000, flushIntervalMs: 50, stateIntervalMs: 60_000, backoff: { baseMs: 50, capMs: 300 } },
      { outbox: store.outbox, cache: store.state, clock: new Clock({ sync: 'assume-synced' }), log: silentLogger, registry: new Registry() },
    );
    cleanups.push(() => cloud.stop());
    await until(() => store.outbox.depth() === 0, 20_000, 'outbox drained');
    expect(await cloudStore.countImpressions(ref)).toBe(800);
    await until(() => cloud.manifests.version === 3, 5000, 'manifest applied');

    // Kill Mosquitto mid-stream (no persistence: in-flight QoS 1 state is gone with it).
    fill(500, 10_000);
    cloud.uplink.pump();
    mosq.kill('SIGKILL');
    await new Promise((r) => mosq.once('exit', r));
    fill(300, 20_000);
    mosq = startMosquitto(dir, port);
    consumer = await startCloudConsumer(url, cloudStore);
    await until(() => store.outbox.depth() === 0, 30_000, 'outbox drained after the restart');
    expect(await cloudStore.countImpressions(ref)).toBe(1600);
    expect(cloud.link.connected).toBe(true);
  });
});
