import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initKeyFile, KeyFileError, loadKeyFile, rotateKeyFile } from './keys.js';
import { pseudonymise } from './pseudonymise.js';

const dir = () => mkdtempSync(join(tmpdir(), 'dc-keys-'));
const card = Buffer.from('04a1b2c3', 'hex');

describe('pseudonymise', () => {
  const key = { id: 'k1', secret: Buffer.alloc(32, 7) };
  it('is stable for one key and credential, and carries the key id', () => {
    const p = pseudonymise(key, card);
    expect(p).toBe(pseudonymise(key, Buffer.from(card)));
    expect(p).toMatch(/^k1\.[A-Za-z0-9_-]{22}$/);
  });
  it('does not contain or reveal the credential', () => {
    const p = pseudonymise(key, card)!;
    expect(p).not.toContain('04a1b2c3');
    expect(p).not.toContain(card.toString('base64url'));
  });
  it('differs across credentials and across keys (rotation unlinks)', () => {
    expect(pseudonymise(key, card)).not.toBe(pseudonymise(key, Buffer.from('04a1b2c4', 'hex')));
    const other = { id: 'k2', secret: Buffer.alloc(32, 8) };
    expect(pseudonymise(other, card)!.slice(3)).not.toBe(pseudonymise(key, card)!.slice(3));
  });
  it('gives no pseudonym to an empty credential', () => {
    expect(pseudonymise(key, new Uint8Array())).toBeNull();
  });
});

describe('key file', () => {
  it('init writes a 0600 file that loads; rotate switches the current key', () => {
    const p = join(dir(), 'keys.json');
    initKeyFile(p);
    const k1 = loadKeyFile(p);
    expect(k1.id).toBe('k1');
    expect(k1.secret).toHaveLength(32);
    rotateKeyFile(p, 'k2');
    const k2 = loadKeyFile(p);
    expect(k2.id).toBe('k2');
    expect(k2.secret.equals(k1.secret)).toBe(false);
    expect(() => rotateKeyFile(p, 'k2')).toThrow(/already used/);
  });
  it.each([
    ['missing', (p: string) => p + '.nope', /cannot read key file/],
    ['world-readable', (p: string) => (chmodSync(p, 0o644), p), /chmod 600/],
    ['not JSON', (p: string) => (writeFileSync(p, 'x', { mode: 0o600 }), p), /not JSON/],
    ['bad secret', (p: string) => (writeFileSync(p, JSON.stringify({ version: 1, current: 'a', keys: [{ id: 'a', secret: 'c2hvcnQ=', createdAt: '' }] }), { mode: 0o600 }), p), /keys\.0\.secret: secret must be 32 bytes/],
    ['current unknown', (p: string) => (writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), current: 'zz' }), { mode: 0o600 }), p), /current: current must name one of keys/],
  ])('%s is a clear KeyFileError', (_, mutate, message) => {
    const p = join(dir(), 'keys.json');
    initKeyFile(p);
    const target = mutate(p);
    expect(() => loadKeyFile(target)).toThrow(KeyFileError);
    expect(() => loadKeyFile(target)).toThrow(message);
  });
});
