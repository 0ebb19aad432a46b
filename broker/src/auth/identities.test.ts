import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDb } from '../db/database.js';
import { IdentityError, IdentityStore } from './identities.js';
import { hashSecret, verifySecret } from './secret.js';
import { clientIdAllowed } from './usernames.js';

const dir = mkdtempSync(join(tmpdir(), 'doorcast-identities-'));
const db = openStateDb(dir);
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets', () => {
  it('hashes with a fresh salt and verifies only the right secret', async () => {
    const a = await hashSecret('s3cret');
    const b = await hashSecret('s3cret');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifySecret('s3cret', a)).toBe(true);
    expect(await verifySecret('s3cret!', a)).toBe(false);
    expect(await verifySecret('s3cret', 'plain:s3cret')).toBe(false);
    expect(await verifySecret('s3cret', 'scrypt$99999999$8$1$AA==$AA==')).toBe(false);
  });
});

describe('IdentityStore', () => {
  const ids = new IdentityStore(db);
  it('stores only a hash, and verifies the secret it returned', async () => {
    const { secret, identity } = await ids.addDevice('maple', 'gate-1');
    expect(identity).toEqual({ kind: 'device', username: 'maple/gate-1', site: 'maple', device: 'gate-1' });
    const row = db.prepare('SELECT secret_hash FROM identities WHERE username = ?').get('maple/gate-1') as { secret_hash: string };
    expect(row.secret_hash).not.toContain(secret);
    expect(JSON.stringify(db.prepare('SELECT * FROM identities').all())).not.toContain(secret);
    expect(await ids.verify('maple/gate-1', secret)).toMatchObject({ ok: true, generation: 1 });
    expect(await ids.verify('maple/gate-1', 'wrong')).toEqual({ ok: false, reason: 'bad-credentials' });
    expect(await ids.verify('maple/nobody', secret)).toEqual({ ok: false, reason: 'bad-credentials' });
    expect((statSync(join(dir, 'broker.sqlite')).mode & 0o077) === 0).toBe(true);
  });

  it('refuses a duplicate, rotates, revokes and re-provisions', async () => {
    await expect(ids.addDevice('maple', 'gate-1')).rejects.toBeInstanceOf(IdentityError);
    const first = await ids.addDevice('maple', 'gate-2');
    const second = await ids.rotate('maple/gate-2');
    expect(await ids.verify('maple/gate-2', first.secret)).toMatchObject({ ok: false });
    expect(await ids.verify('maple/gate-2', second.secret)).toMatchObject({ ok: true, generation: 2 });
    ids.revoke('maple/gate-2');
    expect(await ids.verify('maple/gate-2', second.secret)).toEqual({ ok: false, reason: 'revoked' });
    await expect(ids.rotate('maple/gate-2')).rejects.toMatchObject({ code: 'revoked' });
    const third = await ids.addDevice('maple', 'gate-2');
    expect(await ids.verify('maple/gate-2', third.secret)).toMatchObject({ ok: true });
    expect(() => ids.revoke('maple/none')).toThrow(IdentityError);
  });

  it('keeps operators apart from devices', async () => {
    const op = await ids.addOperator('ops');
    expect(op.identity).toEqual({ kind: 'operator', username: 'op.ops', name: 'ops' });
    expect(ids.list('operator').map((r) => r.identity.username)).toEqual(['op.ops']);
    expect(ids.list('device').every((r) => r.identity.kind === 'device')).toBe(true);
  });

  it.each([
    ['maple/gate-1', 'maple/gate-1', true],
    ['maple/gate-1', 'maple/gate-1/diag', true],
    ['maple/gate-1', 'maple/gate-10', false],
    ['maple/gate-1', 'maple/gate-1/', false],
    ['maple/gate-1', 'maple/gate-1/a/b', false],
    ['maple/gate-1', '', false],
    ['op.ops', 'op.ops/console', true],
  ])('client id rule: %s may use %j → %s', (user, cid, ok) => {
    expect(clientIdAllowed(user, cid)).toBe(ok);
  });
});
