// Manifests end to end: compiled from the campaign table, signed, retained per device, version
// + 1 on change, verified by the device with the key from its credential bundle.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredentialBundle, topicFor, verifyManifest } from '../contract.js';
import { connectWith, nextMessage, noMessage, startTestBroker, type TestBroker } from '../testing.js';
import { SIGNING_KEY_FILE } from './signing-key.js';

let b: TestBroker;
let url: string;
let dev: CredentialBundle;
const ref = { site: 'maple', device: 'gate-1' };
const files = mkdtempSync(join(tmpdir(), 'doorcast-creatives-src-'));
let shaA: string;
let shaB: string;

beforeAll(async () => {
  b = await startTestBroker({ manifest: { refreshIntervalMs: 60_000 } });
  url = `mqtt://127.0.0.1:${b.mqttPort}`;
  writeFileSync(join(files, 'a.mp4'), Buffer.alloc(4096, 1));
  writeFileSync(join(files, 'b.mp4'), Buffer.alloc(2048, 2));
  shaA = (await b.creatives.addFile(join(files, 'a.mp4'))).sha256;
  shaB = (await b.creatives.addFile(join(files, 'b.mp4'))).sha256;
  await b.campaigns.upsert({ id: 'noodles', site: 'maple', campaign: { id: 'noodles', weight: 1 }, creatives: [shaA] });
  await b.campaigns.setSite('maple', { timezone: 'Asia/Shanghai', consent: ['k1.AAAAAAAAAAAAAAAAAAAAAA', 'k1.BBBBBBBBBBBBBBBBBBBBBB'], optOuts: ['k1.BBBBBBBBBBBBBBBBBBBBBB'] });
  dev = await b.addDevice(ref.site, ref.device);
});
afterAll(async () => {
  await b.destroy();
  rmSync(files, { recursive: true, force: true });
});

async function receiveManifest() {
  const c = await connectWith(url, dev);
  const got = nextMessage(c, topicFor('manifest', ref));
  await c.subscribeAsync(topicFor('manifest', ref), { qos: 1 });
  return { c, payload: await got };
}

describe('manifest publisher (CLOUD-LINK.md §6.5)', () => {
  it('publishes a signed, retained manifest the device verifies with its bundle key', async () => {
    const { c, payload } = await receiveManifest();
    const v = verifyManifest(payload, dev.manifestKeys, { ...ref, currentVersion: 0 });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.manifest).toMatchObject({
      version: 1,
      timezone: 'Asia/Shanghai',
      campaignSet: { campaigns: [{ id: 'noodles', weight: 1 }] },
      creatives: [{ sha256: shaA, url: `/creatives/${shaA}`, bytes: 4096 }],
      // the opt-out wins over consent
      consent: ['k1.AAAAAAAAAAAAAAAAAAAAAA'],
      optOuts: ['k1.BBBBBBBBBBBBBBBBBBBBBB'],
    });
    await c.endAsync(true);
  });

  it('re-publishes version + 1 on a change, and nothing when nothing changed', async () => {
    const c = await connectWith(url, dev);
    const first = nextMessage(c, topicFor('manifest', ref));
    await c.subscribeAsync(topicFor('manifest', ref), { qos: 1 });
    await first;
    expect(await b.manifests.refresh()).toEqual([]);
    await noMessage(c, topicFor('manifest', ref), 100);

    await b.campaigns.upsert({ id: 'laundry', site: '*', campaign: { id: 'laundry' }, creatives: [shaB] });
    const next = nextMessage(c, topicFor('manifest', ref));
    expect(await b.manifests.refresh()).toEqual([ref]);
    const v = verifyManifest(await next, dev.manifestKeys, { ...ref, currentVersion: 1 });
    expect(v).toMatchObject({ ok: true, manifest: { version: 2 } });
    if (v.ok) expect(v.manifest.creatives.map((x) => x.sha256).sort()).toEqual([shaA, shaB].sort());
    expect((await b.fleet.get(ref))?.manifestVersionPublished).toBe(2);
    await c.endAsync(true);
  });

  it('leaves out a campaign whose creative is not hosted', async () => {
    await b.campaigns.upsert({ id: 'ghost', site: 'maple', campaign: { id: 'ghost' }, creatives: ['f'.repeat(64)] });
    await b.manifests.refresh();
    const m = b.manifests.current(ref);
    expect(m?.version).toBe(2); // nothing playable changed
    expect(JSON.parse(m!.envelope.body).campaignSet.campaigns.map((x: { id: string }) => x.id)).toEqual(['laundry', 'noodles']);
  });

  it('another device cannot use this device’s manifest (wrong-device)', async () => {
    const { c, payload } = await receiveManifest();
    expect(verifyManifest(payload, dev.manifestKeys, { site: 'maple', device: 'gate-2' })).toMatchObject({ ok: false, reason: 'wrong-device' });
    await c.endAsync(true);
  });

  it('keeps the key (0600) and versions across a restart, re-publishing without a bump', async () => {
    expect(statSync(join(b.stateDir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
    const keyId = b.signingKey.keyId;
    await b.stop();
    b = { ...(await startTestBroker({ stateDir: b.stateDir, manifest: { refreshIntervalMs: 60_000 } })), stateDir: b.stateDir };
    url = `mqtt://127.0.0.1:${b.mqttPort}`;
    expect(b.signingKey.keyId).toBe(keyId);
    const { c, payload } = await receiveManifest();
    expect(verifyManifest(payload, dev.manifestKeys, { ...ref, currentVersion: 1 })).toMatchObject({ ok: true, manifest: { version: 2 } });
    await c.endAsync(true);
  });

  it('a revoked device’s retained manifest is cleared', async () => {
    const op = await connectWith(url, await b.addOperator('audit'));
    await b.revokeDevice(ref.site, ref.device);
    await op.subscribeAsync(topicFor('manifest', ref), { qos: 1 });
    await noMessage(op, topicFor('manifest', ref), 200);
    await op.endAsync(true);
  });
});

describe('manifest versions with several nodes on one state db', () => {
  it('a second node never re-issues a version another node published, and adopts equal content', async () => {
    const { openSqliteStateDb } = await import('../db/database.js');
    const { IdentityStore } = await import('../auth/identities.js');
    const { CampaignTable } = await import('./campaigns.js');
    const { CreativeStore } = await import('../creatives/creative-store.js');
    const { ManifestPublisher } = await import('./publisher.js');
    const { loadOrCreateSigningKey } = await import('./signing-key.js');
    const { silentLogger } = await import('../obs/log.js');
    // Node B: its own connection to node A's (b's) state db, its own publisher.
    const db = openSqliteStateDb(b.stateDir);
    const published: number[] = [];
    const nodeB = new ManifestPublisher({
      db,
      identities: new IdentityStore(db),
      campaigns: new CampaignTable(db),
      creatives: new CreativeStore(join(b.stateDir, 'creatives')),
      key: loadOrCreateSigningKey(b.stateDir),
      publish: async (_t, payload) => {
        if (payload.length) published.push((JSON.parse(JSON.parse(payload.toString()).body) as { version: number }).version);
      },
      defaultTimezone: 'UTC',
      refreshIntervalMs: 60_000,
      metrics: b.metrics,
      log: silentLogger,
    });
    const ref = { site: 'maple', device: 'gate-7' };
    writeFileSync(join(files, 'c.mp4'), Buffer.alloc(1024, 3));
    const shaC = (await b.creatives.addFile(join(files, 'c.mp4'))).sha256;
    await b.addDevice(ref.site, ref.device);
    try {
      await b.manifests.refresh();
      const before = b.manifests.current(ref)!.version;
      // A change made through node B: B publishes before + 1.
      await new CampaignTable(db).upsert({ id: 'tutoring', site: 'maple', campaign: { id: 'tutoring' }, creatives: [shaC] });
      await nodeB.refresh();
      expect(nodeB.current(ref)?.version).toBe(before + 1);
      // Before node A refreshes, a device fetching the new creative from A is let through: A
      // reads the stored manifest on a miss instead of refusing until its next refresh.
      expect(await b.manifests.mayFetch(ref, shaC)).toBe(true);
      expect(await b.manifests.mayFetch(ref, 'e'.repeat(64))).toBe(false);
      // Node A now sees the same content: it adopts B's version instead of signing before + 1 again.
      await b.manifests.refresh();
      expect(b.manifests.current(ref)?.version).toBe(before + 1);
      expect(b.manifests.current(ref)?.envelope.signature).toBe(nodeB.current(ref)?.envelope.signature);
      // A stale node writing the version another node took changes nothing (compare-and-set).
      const row = (await db.get<{ version: number; envelope: string }>('SELECT version, envelope FROM manifests WHERE site = ? AND device = ?', [ref.site, ref.device]))!;
      const stale = await db.run(
        `INSERT INTO manifests (site, device, version, content_sha256, envelope, issued_at) VALUES (?, ?, ?, 'x', 'stale', 'now')
          ON CONFLICT (site, device) DO UPDATE SET version = excluded.version, envelope = excluded.envelope WHERE manifests.version = excluded.version - 1`,
        [ref.site, ref.device, row.version],
      );
      expect(stale.changes).toBe(0);
      expect(new Set(published).size).toBe(published.length);
    } finally {
      await new CampaignTable(db).remove('tutoring');
      await b.manifests.refresh();
      await db.close();
    }
  });
});
