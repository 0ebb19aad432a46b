// Nodes starting together on one state dir must end up with one signing key.
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gatedChild } from '../testing.js';
import { loadOrCreateSigningKey, SIGNING_KEY_FILE, SigningKeyError } from './signing-key.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'dc-key-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const script = `import { loadOrCreateSigningKey } from ${JSON.stringify(new URL('./signing-key.ts', import.meta.url).pathname)};
process.stdin.once('data', () => { process.stdout.write(loadOrCreateSigningKey(process.argv.at(-1)).keyId); process.exit(0); });
process.stdout.write('ready\\n');`;
const node = (dir: string) => gatedChild(['--input-type=module', '-e', script, dir], 30_000);

describe('manifest signing key', () => {
  it('four nodes starting at once on one state dir agree on one key, and leave no temp files', async () => {
    const dir = temp();
    const nodes = [0, 1, 2, 3].map(() => node(dir));
    await Promise.all(nodes.map((n) => n.ready));
    for (const n of nodes) n.go();
    const ids = await Promise.all(nodes.map((n) => n.done));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(loadOrCreateSigningKey(dir).keyId);
    expect(readdirSync(dir)).toEqual([SIGNING_KEY_FILE]);
  }, 60_000);

  it('keeps the key across starts and refuses one others can read', () => {
    const dir = temp();
    const a = loadOrCreateSigningKey(dir);
    expect(loadOrCreateSigningKey(dir).keyId).toBe(a.keyId);
    chmodSync(join(dir, SIGNING_KEY_FILE), 0o644);
    expect(() => loadOrCreateSigningKey(dir)).toThrow(SigningKeyError);
    const bad = temp();
    writeFileSync(join(bad, SIGNING_KEY_FILE), 'not a key', { mode: 0o600 });
    expect(() => loadOrCreateSigningKey(bad)).toThrow(/not a PEM private key/);
  });
});
