// Agent ⇄ the real broker (aedes, SQLite) in-process: impressions up exactly once through
// reconnects, broker restarts and a restarted agent; the signed manifest down, bad ones refused.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signManifest, topicFor } from '@doorcast/firmware-protocol/cloud';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker, until } from '../../../broker/src/testing.js';
import { Clock } from '../clock/clock.js';
import { silentLogger } from '../obs/log.js';
import { Registry } from '../obs/metrics.js';
import type { Store } from '../store/index.js';
import { openStore, play, row, stamp, tempDir } from '../store/testing.js';
import { type Cloud, startCloud } from './cloud.js';

const ref = { site: 'maple', device: 'gate-1' };
let broker: TestBroker | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
  await broker?.destroy();
  broker = undefined;
});

async function provision(b: TestBroker): Promise<string> {
  const bundle = await b.addDevice(ref.site, ref.device);
  const file = join(tempDir('dc-cred-'), 'credentials.json');
  writeFileSync(file, JSON.stringify(bundle), { mode: 0o600 });
  return file;
}

function cloudFor(store: Store, credentialsFile: string, over: Partial<Parameters<typeof startCloud>[0]> = {}): Cloud {
  const c = startCloud(
    { credentialsFile, protocolVersion: 4, batchRecords: 500, maxInFlight: 4, ackTimeoutMs: 5000, flushIntervalMs: 50, stateIntervalMs: 60_000, backoff: { baseMs: 50, capMs: 200 }, ...over },
    { outbox: store.outbox, doorCounts: store.doorCounts, cache: store.state, clock: new Clock({ sync: 'assume-synced' }), log: silentLogger, registry: new Registry() },
  );
  cleanups.push(() => c.stop());
  return c;
}

function fill(store: Store, n: number, from = 0): void {
  store.transaction(() => {
    for (let i = 0; i < n; i++) store.recordPlay(play(), stamp({ monoMs: 5000 + from + i }));
  });
}

describe('cloud link against the broker', () => {
  it('delivers every impression exactly once and empties the outbox, through a broker restart', async () => {
    broker = await startTestBroker();
    const cred = await provision(broker);
    const store = openStore();
    cleanups.push(() => store.close());
    fill(store, 1200);
    const cloud = cloudFor(store, cred);
    await until(() => store.outbox.depth() === 0, 20_000, 'outbox drained');
    expect(await broker.store.countImpressions(ref)).toBe(1200);

    // The broker goes away; plays keep arriving; it comes back on the same port and state.
    const port = broker.mqttPort!;
    const stateDir = broker.stateDir;
    await broker.stop();
    fill(store, 700, 2000);
    await new Promise((r) => setTimeout(r, 300));
    expect(store.outbox.depth()).toBe(700);
    broker = await startTestBroker({ stateDir, mqtt: { tcp: { host: '127.0.0.1', port } } });
    await until(() => store.outbox.depth() === 0, 20_000, 'outbox drained after restart');
    expect(await broker.store.countImpressions(ref)).toBe(1900);
    expect(cloud.link.connected).toBe(true);
  });

  it('hourly door counts go up on their own sequence and leave their outbox when acked', async () => {
    broker = await startTestBroker();
    const cred = await provision(broker);
    const store = openStore();
    const H = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;
    for (let i = 1; i <= 40; i++) store.insertDoorEvent(row(i, { wallTimeMs: H + i * 400_000, door: i % 2 ? 'east-gate' : 'west-gate' }));
    fill(store, 5);
    const appended = store.doorCounts.closeHours(Date.now(), (d) => (d === 'east-gate' ? 1 : 2), '6f1c2b7e-3f4a-4d8e-9b1a-2c3d4e5f6a7b');
    expect(appended).toBeGreaterThanOrEqual(8);
    cloudFor(store, cred);
    await until(() => store.doorCounts.depth() === 0 && store.outbox.depth() === 0, 10_000, 'both outboxes drained');
    expect(await broker.store.countDoorCounts(ref)).toBe(appended);
    const counts = await broker.store.listDoorCounts(ref);
    expect(counts.reduce((n, c) => n + c.unlocksGranted, 0)).toBe(40);
  });

  it('over TLS: verifies the broker against the configured CA, and refuses an unverified one', async () => {
    const d = tempDir('dc-tls-');
    const cert = join(d, 'cert.pem');
    const key = join(d, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    broker = await startTestBroker({ mqtt: { tls: { host: '127.0.0.1', port: 0, certFile: cert, keyFile: key } } });
    const cred = await provision(broker);
    expect(JSON.parse(readFileSync(cred, 'utf8')).brokerUrl).toBe(`mqtts://127.0.0.1:${broker.tlsPort}`);
    const store = openStore();
    fill(store, 50);
    const untrusting = cloudFor(store, cred);
    await new Promise((r) => setTimeout(r, 600));
    expect(untrusting.link.connected).toBe(false);
    expect(store.outbox.depth()).toBe(50);
    await untrusting.stop();
    cloudFor(store, cred, { caFile: cert });
    await until(() => store.outbox.depth() === 0, 10_000, 'drained over TLS');
    expect(await broker.store.countImpressions(ref)).toBe(50);
  });

  it('a restarted agent resends unacked rows and the cloud keeps one copy', async () => {
    broker = await startTestBroker();
    const cred = await provision(broker);
    const store = openStore();
    cleanups.push(() => store.close());
    fill(store, 300);
    // First agent: acks never reach it (they are dropped), so it deletes nothing.
    const a = cloudFor(store, cred, { ackTimeoutMs: 60_000 });
    a.uplink.onAck = () => {};
    await until(async () => (await broker!.store.countImpressions(ref)) === 300, 10_000, 'stored once');
    expect(store.outbox.depth()).toBe(300);
    await a.stop();
    // Second agent on the same outbox: sends all 300 again; the cloud dedupes and acks.
    cloudFor(store, cred);
    await until(() => store.outbox.depth() === 0, 10_000, 'drained by the second agent');
    expect(await broker.store.countImpressions(ref)).toBe(300);
  });

  it('applies the signed manifest, keeps it across restarts, refuses tampered and older ones', async () => {
    broker = await startTestBroker({ manifest: { refreshIntervalMs: 60_000 } });
    const cred = await provision(broker);
    const clip = join(tempDir('dc-clip-'), 'clip.mp4');
    writeFileSync(clip, Buffer.alloc(4096, 7));
    const { sha256 } = await broker.creatives.addFile(clip);
    await broker.campaigns.upsert({ id: 'noodles', site: 'maple', campaign: { id: 'noodles' }, creatives: [sha256] });
    await broker.manifests.refresh();
    const store = openStore();
    cleanups.push(() => store.close());
    const cloud = cloudFor(store, cred);
    await until(() => cloud.manifests.version > 0, 10_000, 'manifest applied');
    const v1 = cloud.manifests.version;
    expect(cloud.manifests.current?.campaignSet.campaigns).toEqual([{ id: 'noodles' }]);
    expect(cloud.manifests.current?.creatives.map((c) => c.sha256)).toEqual([sha256]);

    const body = { ...cloud.manifests.current!, version: v1 + 1 };
    const tampered = JSON.stringify({ ...broker.manifests.current(ref)!.envelope, body: JSON.stringify(body) });
    expect(cloud.manifests.receive(Buffer.from(tampered))).toMatchObject({ status: 'rejected', reason: 'bad-signature' });
    const older = signManifest({ ...body, version: v1 - 1 >= 1 ? v1 - 1 : 0 }, broker.signingKey.privateKey, broker.signingKey.keyId);
    expect(cloud.manifests.receive(Buffer.from(JSON.stringify(older)))).toMatchObject({ status: 'rejected' });
    const other = signManifest({ ...body, device: 'gate-2' }, broker.signingKey.privateKey, broker.signingKey.keyId);
    expect(cloud.manifests.receive(Buffer.from(JSON.stringify(other)))).toMatchObject({ status: 'rejected', reason: 'wrong-device' });
    expect(cloud.manifests.version).toBe(v1);

    await cloud.stop();
    await broker.stop();
    const again = cloudFor(store, cred);
    expect(again.manifests.version).toBe(v1);
    expect(topicFor('manifest', ref)).toBe('doorcast/v1/maple/gate-1/manifest');
  });

  it('reports the manifest it applied at once, so the fleet is not left showing it behind', async () => {
    broker = await startTestBroker({ manifest: { refreshIntervalMs: 60_000 } });
    const cred = await provision(broker);
    const store = openStore();
    cleanups.push(() => store.close());
    // The periodic state report is a minute away: only the report on apply can move the fleet.
    const cloud = cloudFor(store, cred, { stateIntervalMs: 60_000 });
    await until(async () => cloud.manifests.version > 0 && (await broker!.fleet.get(ref))?.manifestVersionApplied === cloud.manifests.version, 10_000, 'first manifest reported');
    const clip = join(tempDir('dc-clip-'), 'clip.mp4');
    writeFileSync(clip, Buffer.alloc(4096, 9));
    const { sha256 } = await broker.creatives.addFile(clip);
    await broker.campaigns.upsert({ id: 'laundry', site: 'maple', campaign: { id: 'laundry' }, creatives: [sha256] });
    await broker.manifests.refresh();
    const published = broker.manifests.current(ref)!.version;
    await until(async () => (await broker!.fleet.get(ref))?.manifestVersionApplied === published, 5000, 'new manifest reported applied');
    expect((await broker.fleet.get(ref))?.manifestVersionPublished).toBe(published);
  });
});
