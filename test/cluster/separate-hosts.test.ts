// Three nodes as on three hosts: each has a state dir of its own and shares nothing on disk;
// everything they agree on is in Redis and PostgreSQL. What one node does, any other sees:
// the signing key, enrolment, credentials, the fleet, manifests, creatives, the marketplace.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliIo, main } from '../../broker/src/cli/main.js';
import { type CredentialBundle, CredentialBundleSchema, topicFor, verifyManifest } from '../../broker/src/contract.js';
import { PNG_MAGIC } from '../../broker/src/creatives/preview.js';
import { bodyOf, makeClip } from '../../broker/src/creatives/upload-fixtures.js';
import { SIGNING_KEY_FILE } from '../../broker/src/manifest/signing-key.js';
import type { RunningBroker } from '../../broker/src/server/broker.js';
import { until } from '../../broker/src/testing.js';
import { connectRecording, useCluster, within } from './cluster.js';

const cluster = useCluster(3);
const nodes = () => cluster().nodes as [RunningBroker, RunningBroker, RunningBroker];
const http = (n: RunningBroker, path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${n.httpPort}${path}`, init);
const basic = (b: Pick<CredentialBundle, 'username' | 'password'>) => `Basic ${Buffer.from(`${b.username}:${b.password}`).toString('base64')}`;

async function enrolVia(n: RunningBroker, code: string): Promise<{ credentials: CredentialBundle; siteKey: { current: string; keys: { id: string; secret: string }[] } }> {
  const r = await http(n, '/enrol', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  expect(r.status).toBe(200);
  const body = (await r.json()) as { credentials: unknown; siteKey: { current: string; keys: { id: string; secret: string }[] } };
  return { credentials: CredentialBundleSchema.parse(body.credentials), siteKey: body.siteKey };
}

describe('nodes on separate hosts (nothing shared on disk)', () => {
  it('keep no state db or signing key on disk, and sign with one key', () => {
    const [a, b, c] = nodes();
    expect(new Set([a, b, c].map((n) => n.config.stateDir)).size).toBe(3);
    for (const n of [a, b, c]) {
      expect(existsSync(join(n.config.stateDir, 'broker.sqlite'))).toBe(false);
      expect(existsSync(join(n.config.stateDir, 'impressions.sqlite'))).toBe(false);
      expect(existsSync(join(n.config.stateDir, SIGNING_KEY_FILE))).toBe(false);
    }
    // Started at once (cluster.ts): of three nodes creating the key, one won and all use it.
    expect(new Set([a, b, c].map((n) => n.signingKey.keyId)).size).toBe(1);
  });

  it('a code made on A is exchanged on B; the device connects through C and gets a manifest it verifies', async () => {
    const [a, b, c] = nodes();
    const ref = { site: 'hosts', device: 'gate-1' };
    const { code } = await a.createEnrolment(ref.site, ref.device, 3_600_000);
    const { credentials, siteKey } = await enrolVia(b, code);
    // Once only, whichever node sees it again.
    expect((await http(c, '/enrol', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })).status).toBe(403);
    // A second box of the site, enrolled on C, gets the same site key (one resident, one pseudonym).
    const second = await enrolVia(c, (await b.createEnrolment(ref.site, 'gate-2', 3_600_000)).code);
    expect(second.siteKey).toEqual(siteKey);

    cluster().route(c);
    const { client, got } = await connectRecording(cluster().url, credentials);
    try {
      await within(client.subscribeAsync(topicFor('manifest', ref), { qos: 1 }), 5000, 'suback');
      await until(() => got.some((m) => m.topic === topicFor('manifest', ref) && m.payload.length > 0), 5000, 'retained manifest');
      const m = got.find((x) => x.topic === topicFor('manifest', ref))!;
      expect(verifyManifest(m.payload, credentials.manifestKeys, { ...ref, currentVersion: 0 })).toMatchObject({ ok: true });
      // Every node's fleet shows it online, whichever node it is on.
      for (const n of [a, b, c]) await until(async () => (await n.fleet.get(ref))?.online === true, 5000, 'online in every fleet');
    } finally {
      await client.endAsync(true);
    }
  });

  it('a device revoked on A is disconnected from B at its next recheck, and refused everywhere', async () => {
    const [a, b] = nodes();
    const ref = { site: 'hosts', device: 'gate-3' };
    const bundle = await a.addDevice(ref.site, ref.device);
    cluster().route(b);
    const { client } = await connectRecording(cluster().url, bundle);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    // CONNACK can arrive before aedes' clientReady (it restores the session from Redis first);
    // until then B has no live session to recheck.
    await until(async () => (await b.fleet.get(ref))?.online === true, 5000, 'live on B');
    await a.revokeDevice(ref.site, ref.device);
    expect(await b.recheckSessions()).toBe(1);
    await within(closed, 5000, 'connection on B closed');
    await expect(connectRecording(cluster().url, bundle)).rejects.toThrow(/Not authorized|refused/i);
  });

  it('the CLI pointed at the cluster config provisions a device every node knows', async () => {
    const [a, , c] = nodes();
    const config = join(cluster().dir, 'cli.yaml');
    writeFileSync(
      config,
      JSON.stringify({ version: 1, stateDir: join(cluster().dir, 'cli'), store: { kind: 'postgres', url: cluster().pgUrl }, publicUrls: { mqtt: cluster().url, http: 'http://127.0.0.1:1' } }),
    );
    let out = '';
    const io: CliIo = {
      out: (t) => {
        out += t;
      },
      err: () => {},
      stopSignal: () => Promise.resolve(),
    };
    expect(await main(['device', 'add', '--config', config, '--site', 'hosts', '--device', 'gate-cli'], io)).toBe(0);
    const bundle = CredentialBundleSchema.parse(JSON.parse(out));
    // The bundle carries the cluster's key, not one of its own.
    expect(Object.keys(bundle.manifestKeys)).toEqual([a.signingKey.keyId]);
    expect((await c.fleet.get({ site: 'hosts', device: 'gate-cli' }))?.device).toBe('gate-cli');
    expect(await c.identities.verify(bundle.username, bundle.password)).toMatchObject({ ok: true });
    expect(readdirSync(join(cluster().dir, 'cli')).filter((f) => f.endsWith('.sqlite') || f.endsWith('.pem'))).toEqual([]);
  });

  it('a creative added on A is listed by a manifest B publishes and served by C, whole and by range', async () => {
    const [a, b, c] = nodes();
    const ref = { site: 'hosts', device: 'gate-4' };
    const bundle = await a.addDevice(ref.site, ref.device);
    const clip = join(cluster().dir, 'clip.mp4');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    writeFileSync(clip, bytes);
    const { sha256 } = await a.creatives.addFile(clip);
    await a.campaigns.upsert({ id: 'hosts-clip', site: 'hosts', campaign: { id: 'hosts-clip' }, creatives: [sha256] });
    await b.manifests.refresh(['hosts']);
    const m = b.manifests.current(ref);
    expect(m?.creatives.has(sha256)).toBe(true);
    expect((JSON.parse(m!.envelope.body) as { creatives: { sha256: string; bytes: number }[] }).creatives).toContainEqual(expect.objectContaining({ sha256, bytes: bytes.length }));

    expect(existsSync(join(c.config.stateDir, 'creatives', sha256))).toBe(false);
    const whole = await http(c, `/creatives/${sha256}`, { headers: { authorization: basic(bundle) } });
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await http(c, `/creatives/${sha256}`, { headers: { authorization: basic(bundle), range: 'bytes=1048570-1048590' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1048570, 1048591))).toBe(true);
  });

  it('a manifest published on B reaches the device connected to A', async () => {
    const [a, b] = nodes();
    const ref = { site: 'hosts', device: 'gate-5' };
    const bundle = await a.addDevice(ref.site, ref.device);
    cluster().route(a);
    const { client, got } = await connectRecording(cluster().url, bundle);
    const manifests = () => got.filter((m) => m.topic === topicFor('manifest', ref) && m.payload.length > 0);
    try {
      await within(client.subscribeAsync(topicFor('manifest', ref), { qos: 1 }), 5000, 'suback');
      await until(() => manifests().length === 1, 5000, 'retained manifest');
      await b.campaigns.setSite(ref.site, { timezone: 'Asia/Shanghai' });
      await b.manifests.refresh([ref.site]);
      await until(() => manifests().length === 2, 5000, "B's manifest on A");
      const v = verifyManifest(manifests()[1]!.payload, bundle.manifestKeys, { ...ref, currentVersion: 1 });
      expect(v).toMatchObject({ ok: true, manifest: { version: 2, timezone: 'Asia/Shanghai' } });
    } finally {
      await client.endAsync(true);
    }
  });

  it("an upload transcoded on A: its still and rendition are served by C, and B's restart leaves it be", async () => {
    const [a, b, c] = nodes();
    const merchantId = 'm_hosts';
    await a.market.sites.db.run('INSERT INTO merchants (id, name, lat, lon, created_at) VALUES (?, ?, ?, ?, ?)', [merchantId, 'Hosts cafe', 31.2, 121.4, new Date().toISOString()]);
    const clips = join(cluster().dir, 'clips');
    mkdirSync(clips, { recursive: true });
    const accepted = await a.market.uploads.accept({ merchantId, name: 'cafe.mp4', body: bodyOf(makeClip(clips, 'cafe', { seconds: 2 })) });
    // B starting its pipeline again while A owns the upload: not B's original, so not "lost".
    await b.market.uploads.stop();
    await b.market.uploads.start();
    expect((await b.market.uploads.get(accepted.id))?.reason ?? null).toBeNull();
    const ready = await a.market.uploads.settled(accepted.id, 60_000);
    expect(ready.status).toBe('ready');

    const still = await c.market.uploads.previewPath(ready.id);
    expect(still?.startsWith(join(c.config.stateDir, 'creatives'))).toBe(true);
    expect(readFileSync(still!).subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    const r = ready.renditions[0]!;
    // An operator may fetch any creative (a device only those its manifest lists).
    const bundle = await a.addOperator('hosts-ops');
    const got = await http(c, `/creatives/${r.sha256}`, { headers: { authorization: basic(bundle) } });
    expect([got.status, (await got.arrayBuffer()).byteLength]).toEqual([200, r.bytes]);
  });
});
