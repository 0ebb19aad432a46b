import { statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stateBackends } from '../../../test/support/state-backends.js';
import type { SqliteStateDb } from '../db/sqlite-state-db.js';
import type { StateDb } from '../db/state-db.js';
import { IdentityError, IdentityStore } from './identities.js';
import { hashSecret, verifySecret } from './secret.js';
import { clientIdAllowed } from './usernames.js';

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

describe.each(stateBackends())('IdentityStore on $name', (backend) => {
  let db: StateDb;
  let ids: IdentityStore;
  beforeAll(async () => {
    db = await backend.open();
    ids = new IdentityStore(db);
  }, 60_000);

  it('stores only a hash, and verifies the secret it returned', async () => {
    const { secret, identity } = await ids.addDevice('maple', 'gate-1');
    expect(identity).toEqual({ kind: 'device', username: 'maple/gate-1', site: 'maple', device: 'gate-1' });
    const row = (await db.get<{ secret_hash: string }>('SELECT secret_hash FROM identities WHERE username = ?', ['maple/gate-1']))!;
    expect(row.secret_hash).not.toContain(secret);
    expect(JSON.stringify(await db.all('SELECT * FROM identities'))).not.toContain(secret);
    expect(await ids.verify('maple/gate-1', secret)).toMatchObject({ ok: true, generation: 1 });
    expect(await ids.verify('maple/gate-1', 'wrong')).toEqual({ ok: false, reason: 'bad-credentials' });
    expect(await ids.verify('maple/nobody', secret)).toEqual({ ok: false, reason: 'bad-credentials' });
    if (backend.name === 'sqlite') expect((statSync((db as SqliteStateDb).path).mode & 0o077) === 0).toBe(true);
  });

  it('refuses a duplicate, rotates, revokes and re-provisions', async () => {
    await expect(ids.addDevice('maple', 'gate-1')).rejects.toBeInstanceOf(IdentityError);
    const first = await ids.addDevice('maple', 'gate-2');
    const second = await ids.rotate('maple/gate-2');
    expect(await ids.verify('maple/gate-2', first.secret)).toMatchObject({ ok: false });
    expect(await ids.verify('maple/gate-2', second.secret)).toMatchObject({ ok: true, generation: 2 });
    await ids.revoke('maple/gate-2');
    expect(await ids.verify('maple/gate-2', second.secret)).toEqual({ ok: false, reason: 'revoked' });
    await expect(ids.rotate('maple/gate-2')).rejects.toMatchObject({ code: 'revoked' });
    const third = await ids.addDevice('maple', 'gate-2');
    expect(await ids.verify('maple/gate-2', third.secret)).toMatchObject({ ok: true });
    await expect(ids.revoke('maple/none')).rejects.toBeInstanceOf(IdentityError);
  });

  it('keeps operators apart from devices', async () => {
    const op = await ids.addOperator('ops');
    expect(op.identity).toEqual({ kind: 'operator', username: 'op.ops', name: 'ops' });
    expect((await ids.list('operator')).map((r) => r.identity.username)).toEqual(['op.ops']);
    expect((await ids.list('device')).every((r) => r.identity.kind === 'device')).toBe(true);
  });

  it('lets exactly one of two nodes add the same device at once', async () => {
    const other = new IdentityStore(await backend.openAgain());
    const results = await Promise.allSettled([ids.addDevice('birch', 'gate-1'), other.addDevice('birch', 'gate-1'), ids.addDevice('birch', 'gate-1')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['exists', 'exists']);
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
