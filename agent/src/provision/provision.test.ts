// Provisioning against a real broker: a valid code gives a configured box whose files are
// private and whose credential the broker accepts; an expired, a reused and a mistyped code
// are refused with their reason and write nothing.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../../broker/src/testing.js';
import { loadConfig } from '../config/load.js';
import { loadKeyFile } from '../identity/keys.js';
import { provision } from './provision.js';

const BIN = fileURLToPath(new URL('../../bin/doorcast.js', import.meta.url));
let broker: TestBroker;
let url: string;
beforeAll(async () => {
  broker = await startTestBroker();
  url = `http://127.0.0.1:${broker.httpPort}`;
});
afterAll(async () => broker?.destroy());

const base = () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-prov-'));
  return { configDir: join(dir, 'etc'), stateDir: join(dir, 'state'), timezone: 'Asia/Shanghai', sources: [{ kind: 'serial', name: 'main', path: '/dev/ttyUSB0' }], doors: [{ id: 'east-gate', source: 'main', controllerDoor: 1 }] };
};

describe('doorcast provision', () => {
  it('a valid code: config, credentials and the site key written 0600, and the broker accepts the box', async () => {
    const { code } = await broker.createEnrolment('maple', 'gate-7', 3_600_000);
    const r = await provision({ ...base(), enrol: { url, code: code.toLowerCase().replace(/-/g, ' ') } });
    expect(r).toMatchObject({ site: 'maple', device: 'gate-7', broker: { status: 'pass' } });
    for (const f of [r.credentialsFile, r.keyFile]) expect(statSync(f).mode & 0o777).toBe(0o600);
    const c = loadConfig(r.configFile);
    expect(c).toMatchObject({ device: { id: 'gate-7', site: 'maple' }, cloud: { credentialsFile: r.credentialsFile } });
    expect(loadKeyFile(r.keyFile).id).toBe('k1');
    // A second box of the same site gets the same site key: one resident, one pseudonym.
    const other = await provision({ ...base(), enrol: { url, code: (await broker.createEnrolment('maple', 'gate-8', 3_600_000)).code } });
    expect(loadKeyFile(other.keyFile).secret.equals(loadKeyFile(r.keyFile).secret)).toBe(true);
    expect(await broker.fleet.get({ site: 'maple', device: 'gate-7' })).not.toBeNull();
  });

  it.each([
    ['reused', async (): Promise<string> => {
      const { code } = await broker.createEnrolment('maple', 'gate-9', 3_600_000);
      await provision({ ...base(), enrol: { url, code } });
      return code;
    }, /enrolment refused: used/],
    ['expired', async (): Promise<string> => {
      const { code } = await broker.createEnrolment('maple', 'gate-10', 1);
      await new Promise((r) => setTimeout(r, 10));
      return code;
    }, /enrolment refused: expired \(the code has expired/],
    ['mistyped', async (): Promise<string> => 'ABCDE-FGHJK-MNPQR', /enrolment refused: unknown/],
  ] as const)('a %s code is refused and nothing is written', async (_n, make, message) => {
    const o = base();
    await expect(provision({ ...o, enrol: { url, code: await make() } })).rejects.toThrow(message);
    expect(existsSync(join(o.configDir, 'agent.yaml'))).toBe(false);
    expect(existsSync(join(o.configDir, 'credentials.json'))).toBe(false);
  });

  it('an invalid door mapping is refused before anything is written; an existing box is not overwritten', async () => {
    const o = base();
    await expect(provision({ ...o, doors: [{ id: 'east-gate', source: 'nope', controllerDoor: 1 }], enrol: { url, code: (await broker.createEnrolment('maple', 'gate-11', 3_600_000)).code } })).rejects.toThrow(/doors\.0\.source: no source named nope/);
    expect(existsSync(o.configDir)).toBe(false);
    await provision({ ...o, enrol: { url, code: (await broker.createEnrolment('maple', 'gate-12', 3_600_000)).code } });
    await expect(provision({ ...o, enrol: { url, code: (await broker.createEnrolment('maple', 'gate-12', 3_600_000)).code } })).rejects.toThrow(/provisioned already/);
  });

  it('the CLI, scripted with flags', async () => {
    const o = base();
    const { code } = await broker.createEnrolment('maple', 'gate-13', 3_600_000);
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'provision', '--code', code, '--broker', url, '--dir', o.configDir, '--state-dir', o.stateDir, '--serial', '/dev/ttyUSB0', '--door', 'east-gate=1', '--screen', 'snapshot'], { timeout: 30_000 });
    expect(stdout).toMatch(/provisioned maple\/gate-13/);
    expect(stdout).toMatch(/✔ broker/);
    expect(readFileSync(join(o.configDir, 'agent.yaml'), 'utf8')).toMatch(/sink: snapshot/);
  });

  it('asks for what is missing when run in a terminal, with defaults', async () => {
    const o = base();
    const { code } = await broker.createEnrolment('maple', 'gate-14', 3_600_000);
    const child = spawn(process.execPath, [BIN, 'provision', '--dir', o.configDir, '--state-dir', o.stateDir], { env: { ...process.env, DOORCAST_INTERACTIVE: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    // broker, code, link, doors (default), screen (default), time zone.
    child.stdin.end(`${url}\n${code}\n192.168.1.50:4001\n\nnull\nAsia/Shanghai\n`);
    const status = await new Promise((r) => child.on('close', r));
    expect(status, err).toBe(0);
    expect(err).toMatch(/controller link: .*\[\/dev\/doorcast-controller\]/);
    expect(out).toMatch(/provisioned maple\/gate-14/);
    const c = loadConfig(join(o.configDir, 'agent.yaml'));
    expect(c.sources[0]).toMatchObject({ kind: 'tcp', host: '192.168.1.50', port: 4001 });
    expect(c.doors).toEqual([{ id: 'door-1', source: 'tcp-1', controllerDoor: 1 }]);
    expect(c.site.timezone).toBe('Asia/Shanghai');
    expect(c.screen?.sink).toBe('null');
  });
});
