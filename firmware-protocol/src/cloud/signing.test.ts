import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exampleManifestBody } from './examples.js';
import { MAX_MANIFEST_BYTES } from './limits.js';
import type { ManifestEnvelope } from './manifest.js';
import {
  encodeManifestEnvelope,
  generateManifestKeyPair,
  keyIdFor,
  ManifestSignError,
  publicKeyFromBase64,
  publicKeyToBase64,
  signManifest,
  verifyManifest,
} from './signing.js';

const ref = { site: 'maple', device: 'gate-1' };
const cloud = generateManifestKeyPair();
const trusted = { [cloud.keyId]: publicKeyToBase64(cloud.publicKey) };
const signed = (version: number, r = ref) => encodeManifestEnvelope(signManifest(exampleManifestBody(r, version), cloud.privateKey, cloud.keyId));
const reenvelope = (mutate: (e: ManifestEnvelope) => void) => {
  const e = JSON.parse(signed(5).toString()) as ManifestEnvelope;
  mutate(e);
  return Buffer.from(JSON.stringify(e));
};

describe('manifest signing (CLOUD-LINK.md §6)', () => {
  it('verifies a fresh manifest and returns the body', () => {
    const r = verifyManifest(signed(5), trusted, { ...ref, currentVersion: 4 });
    expect(r).toMatchObject({ ok: true, keyId: cloud.keyId, manifest: { version: 5, device: 'gate-1' } });
  });

  it('keys round-trip through raw base64, key ids are stable', () => {
    const back = publicKeyFromBase64(publicKeyToBase64(cloud.publicKey));
    expect(keyIdFor(back)).toBe(cloud.keyId);
    expect(cloud.keyId).toMatch(/^ed25519-[0-9a-f]{16}$/);
    expect(() => publicKeyFromBase64(Buffer.alloc(31).toString('base64'))).toThrow(TypeError);
  });

  it.each([
    ['tampered body', reenvelope((e) => (e.body = e.body.replace('"version":5', '"version":6'))), 'bad-signature'],
    ['whitespace added to body', reenvelope((e) => (e.body = `${e.body} `)), 'bad-signature'],
    ['signature of another manifest', reenvelope((e) => (e.signature = (JSON.parse(signed(6).toString()) as ManifestEnvelope).signature)), 'bad-signature'],
    ['unknown key id', reenvelope((e) => (e.keyId = 'ed25519-0000000000000000')), 'unknown-key'],
    ['not JSON', Buffer.from('not json'), 'schema'],
    ['signature not base64 of 64 bytes', reenvelope((e) => (e.signature = 'abc')), 'schema'],
    ['oversized', Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20), 'too-large'],
  ])('rejects %s', (_name, payload, reason) => {
    expect(verifyManifest(payload, trusted, ref)).toMatchObject({ ok: false, reason });
  });

  it('rejects a manifest signed by a key the device does not trust', () => {
    const other = generateManifestKeyPair();
    const forged = encodeManifestEnvelope(signManifest(exampleManifestBody(ref, 9), other.privateKey, cloud.keyId));
    expect(verifyManifest(forged, trusted, ref)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const own = encodeManifestEnvelope(signManifest(exampleManifestBody(ref, 9), other.privateKey, other.keyId));
    expect(verifyManifest(own, trusted, ref)).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('rejects a replayed older or equal version (rollback)', () => {
    expect(verifyManifest(signed(4), trusted, { ...ref, currentVersion: 5 })).toMatchObject({ ok: false, reason: 'rollback', path: 'version' });
    expect(verifyManifest(signed(5), trusted, { ...ref, currentVersion: 5 })).toMatchObject({ ok: false, reason: 'rollback' });
  });

  it('rejects another device’s or site’s manifest', () => {
    expect(verifyManifest(signed(5, { site: 'maple', device: 'gate-2' }), trusted, ref)).toMatchObject({ ok: false, reason: 'wrong-device' });
    expect(verifyManifest(signed(5, { site: 'oak', device: 'gate-1' }), trusted, ref)).toMatchObject({ ok: false, reason: 'wrong-site' });
  });

  it('rejects a correctly signed body that breaks the schema, with the path', () => {
    const body = JSON.stringify({ ...exampleManifestBody(ref, 5), consent: ['0012345678'] });
    // Sign a bad body by hand: signManifest itself refuses to.
    const sig = sign(null, Buffer.concat([Buffer.from('doorcast/v1/manifest\0'), Buffer.from(body)]), cloud.privateKey).toString('base64');
    const payload = Buffer.from(JSON.stringify({ body, signature: sig, keyId: cloud.keyId }));
    expect(verifyManifest(payload, trusted, ref)).toMatchObject({ ok: false, reason: 'schema', path: 'consent.0' });
  });

  it('signManifest refuses an invalid body with the path', () => {
    const bad = { ...exampleManifestBody(ref, 5), creatives: [{ sha256: 'XYZ', url: '/c', bytes: 1 }] };
    expect(() => signManifest(bad, cloud.privateKey, cloud.keyId)).toThrow(ManifestSignError);
    expect(() => signManifest(bad, cloud.privateKey, cloud.keyId)).toThrow(/creatives\.0\.sha256/);
  });

  it('the signed body is canonical JSON, so the same content signs the same bytes', () => {
    const a = signManifest(exampleManifestBody(ref, 5), cloud.privateKey, cloud.keyId);
    const reordered = Object.fromEntries(Object.entries(exampleManifestBody(ref, 5)).reverse()) as ReturnType<typeof exampleManifestBody>;
    const b = signManifest(reordered, cloud.privateKey, cloud.keyId);
    expect(b.body).toBe(a.body);
    expect(b.signature).toBe(a.signature); // Ed25519 is deterministic
  });
});
