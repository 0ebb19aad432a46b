import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { IdentityStore } from '../auth/identities.js';
import { CredentialBundleSchema, topicFor } from '../contract.js';
import { openSqliteStateDb } from '../db/database.js';
import { connectWith } from '../testing.js';
import { type CliIo, main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'doorcast-broker-cli-'));
const config = join(dir, 'broker.yaml');
writeFileSync(config, 'version: 1\nstateDir: state\nmqtt:\n  tcp: { port: 0 }\nhttp:\n  port: 0\npublicUrls:\n  mqtt: mqtts://broker.example.com:8883\n  http: https://broker.example.com\nlog: { level: warn }\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stopSignal: () => Promise.resolve(),
  };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('doorcast-broker CLI', () => {
  it('device add prints a one-time bundle whose secret is stored only as a hash', async () => {
    const r = await run('device', 'add', '--config', config, '--site', 'maple', '--device', 'gate-1');
    expect(r.code).toBe(0);
    const bundle = CredentialBundleSchema.parse(JSON.parse(r.out));
    expect(bundle).toMatchObject({ kind: 'device', site: 'maple', device: 'gate-1', username: 'maple/gate-1', clientId: 'maple/gate-1', brokerUrl: 'mqtts://broker.example.com:8883' });
    expect(Object.keys(bundle.manifestKeys)).toHaveLength(1);
    const db = openSqliteStateDb(join(dir, 'state'));
    try {
      expect(await new IdentityStore(db).verify('maple/gate-1', bundle.password)).toMatchObject({ ok: true });
      expect(JSON.stringify(await db.all('SELECT * FROM identities'))).not.toContain(bundle.password);
    } finally {
      await db.close();
    }
  });

  it('--out writes the bundle 0600 and refuses to overwrite', async () => {
    const out = join(dir, 'gate-2.json');
    const r = await run('device', 'add', '--config', config, '--site', 'maple', '--device', 'gate-2', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(CredentialBundleSchema.parse(JSON.parse(readFileSync(out, 'utf8'))).device).toBe('gate-2');
    const before = CredentialBundleSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    const again = await run('device', 'rotate', '--config', config, '--site', 'maple', '--device', 'gate-2', '--out', out);
    expect(again).toMatchObject({ code: 2, err: expect.stringContaining('exists') });
    // Nothing was rotated: the bundle on disk still works.
    const db = openSqliteStateDb(join(dir, 'state'));
    try {
      expect(await new IdentityStore(db).verify('maple/gate-2', before.password)).toMatchObject({ ok: true });
    } finally {
      await db.close();
    }
  });

  it('refuses a duplicate, rotates, revokes, and lists the fleet', async () => {
    expect(await run('device', 'add', '--config', config, '--site', 'maple', '--device', 'gate-1')).toMatchObject({ code: 1, err: expect.stringContaining('already exists') });
    const rotated = await run('device', 'rotate', '--config', config, '--site', 'maple', '--device', 'gate-1');
    expect(rotated.code).toBe(0);
    expect((await run('device', 'revoke', '--config', config, '--site', 'maple', '--device', 'gate-1')).code).toBe(0);
    const list = await run('device', 'list', '--config', config);
    expect(list.out.trim().split('\n').map((l) => JSON.parse(l).device)).toEqual(['gate-1', 'gate-2']);
  });

  it.each([
    [['device', 'add', '--config', 'nope.yaml', '--site', 'maple', '--device', 'x'], /cannot read/],
    [['device', 'add', '--config', config, '--site', 'Maple', '--device', 'x'], /site and device ids/],
    [['device', 'add', '--site', 'maple', '--device', 'x'], /--config/],
  ])('bad usage %j fails clearly', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBeGreaterThan(0);
    expect(r.err).toMatch(message);
  });

  it('campaign set validates with field paths', async () => {
    const f = join(dir, 'campaign.json');
    writeFileSync(f, JSON.stringify({ id: 'noodles', site: 'maple', campaign: {}, creatives: ['nope'] }));
    const r = await run('campaign', 'set', '--config', config, f);
    expect(r.code).toBe(2);
    expect(r.err).toContain('creatives.0');
  });

  it('account add creates an operator with a one-time password that signs in; bad input is a usage error', async () => {
    const r = await run('account', 'add', '--config', config, '--email', 'ops@doorcast.test', '--name', 'Ops');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ email: 'ops@doorcast.test', role: 'operator' });
    const password = /password for ops@doorcast\.test: (\S+)/.exec(r.err)?.[1];
    expect(password).toBeTruthy();
    const db = openSqliteStateDb(join(dir, 'state'));
    try {
      const { AccountStore } = await import('../market/accounts.js');
      const accounts = new AccountStore(db, { sessionTtlMs: 60_000, maxFailures: 5, lockMs: 1000 });
      expect((await accounts.login('ops@doorcast.test', password!)).ok).toBe(true);
      expect(JSON.stringify(await db.all('SELECT * FROM accounts'))).not.toContain(password!);
    } finally {
      await db.close();
    }
    expect((await run('account', 'add', '--config', config, '--email', 'ops@doorcast.test', '--name', 'Again')).code).toBe(1);
    const shop = await run('account', 'add', '--config', config, '--email', 'shop@x.test', '--name', 'Li', '--role', 'merchant', '--shop', 'Noodles', '--lat', '91', '--lon', '121');
    expect(shop.code).toBe(2);
    expect(shop.err).toContain('merchant.lat');
    expect((await run('account', 'list', '--config', config)).out.trim().split('\n')).toHaveLength(1);
  });

  it('the bin serves until SIGTERM, with devices added by the CLI', async () => {
    const add = await run('device', 'add', '--config', config, '--site', 'oak', '--device', 'gate-1');
    const bundle = CredentialBundleSchema.parse(JSON.parse(add.out));
    const bin = fileURLToPath(new URL('../../bin/doorcast-broker.js', import.meta.url));
    const child = spawn(process.execPath, [bin, '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`no start line: ${err}`)), 20_000);
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /mqtt (\d+)/.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
      });
      const c = await connectWith(`mqtt://127.0.0.1:${port}`, bundle);
      await c.subscribeAsync(topicFor('manifest', { site: 'oak', device: 'gate-1' }), { qos: 1 });
      await c.endAsync();
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
