// deploy/cloud: the 3-node layout's files are checked by the tools that will load them — the
// config script by shellcheck and by the broker's own config loader, haproxy.cfg by haproxy -c,
// the node template unit by systemd-analyze — and they agree on the nodes' ports.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../broker/src/config/load.js';

const here = fileURLToPath(new URL('../../deploy/cloud/', import.meta.url));
const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;
const render = (envFile: string, out: string, nodes?: string) =>
  spawnSync('bash', [join(here, 'make-node-configs.sh'), envFile, out, ...(nodes ? [nodes] : [])], { encoding: 'utf8', timeout: 10_000 });

describe('deploy/cloud', () => {
  it('make-node-configs.sh passes shellcheck', () => {
    expect(() => execFileSync('shellcheck', [join(here, 'make-node-configs.sh')], { encoding: 'utf8' })).not.toThrow();
  });

  it('renders three private node configs the broker accepts: clustered, PostgreSQL, the ports haproxy.cfg names', () => {
    const out = mkdtempSync(join(tmpdir(), 'dc-nodes-'));
    const r = render(join(here, 'cluster.env.example'), out);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['broker-1.yaml', 'broker-2.yaml', 'broker-3.yaml']);
    const haproxy = readFileSync(join(here, 'haproxy.cfg'), 'utf8');
    for (const i of [1, 2, 3]) {
      const file = join(out, `broker-${i}.yaml`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const c = loadConfig(file);
      expect(c.cluster).toEqual({ redis: { url: 'redis://127.0.0.1:6379' } });
      expect(c.store).toMatchObject({ kind: 'postgres', url: 'postgres://doorcast:CHANGE-ME@127.0.0.1:5432/doorcast', poolMax: 10 });
      expect(c.stateDir).toBe(`/var/lib/doorcast-broker/node-${i}`);
      expect(c.mqtt.tcp).toEqual({ host: '127.0.0.1', port: 1883 + i });
      expect(c.publicUrls).toEqual({ mqtt: 'mqtts://cloud.example.com:8883', http: 'https://cloud.example.com' });
      expect(haproxy).toContain(`server node${i} 127.0.0.1:${1883 + i} check port ${8080 + i}`);
      expect(haproxy).toContain(`server node${i} 127.0.0.1:${8080 + i} check`);
    }
  });

  it('refuses a missing setting and keeps quotes in values inert', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-nodes-'));
    writeFileSync(join(dir, 'bad.env'), 'REDIS_URL=redis://r:6379\nPUBLIC_MQTT=mqtts://x:8883\nPUBLIC_HTTP=https://x\n');
    const bad = render(join(dir, 'bad.env'), join(dir, 'out'));
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/POSTGRES_URL is not set/);
    writeFileSync(join(dir, 'odd.env'), "REDIS_URL=redis://r:6379\nPOSTGRES_URL=postgres://u:it's$(touch /tmp/dc-pwned)@db/d\nPUBLIC_MQTT=mqtts://x:8883\nPUBLIC_HTTP=https://x\nEVIL=1\n");
    const odd = render(join(dir, 'odd.env'), join(dir, 'out2'), '1');
    expect(odd.status, odd.stderr).toBe(0);
    expect(odd.stderr).toMatch(/ignoring unknown setting EVIL/);
    const c = loadConfig(join(dir, 'out2', 'broker-1.yaml'));
    expect(c.store).toMatchObject({ url: "postgres://u:it's$(touch /tmp/dc-pwned)@db/d" });
  });

  it('binds the nodes of a host to BIND_HOST for a balancer on another host, and refuses a name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-nodes-'));
    const base = 'REDIS_URL=redis://10.0.0.5:6379\nPOSTGRES_URL=postgres://d@10.0.0.6/d\nPUBLIC_MQTT=mqtts://x:8883\nPUBLIC_HTTP=https://x\n';
    writeFileSync(join(dir, 'host.env'), `${base}BIND_HOST=10.0.0.12\nSTATE_DIR=/srv/dc\n`);
    const r = render(join(dir, 'host.env'), join(dir, 'out'), '2');
    expect(r.status, r.stderr).toBe(0);
    const c = loadConfig(join(dir, 'out', 'broker-2.yaml'));
    expect(c.mqtt.tcp).toEqual({ host: '10.0.0.12', port: 1885 });
    expect(c.http).toMatchObject({ host: '10.0.0.12', port: 8082 });
    expect(c.stateDir).toBe('/srv/dc/node-2');
    writeFileSync(join(dir, 'name.env'), `${base}BIND_HOST=$(hostname)\n`);
    const bad = render(join(dir, 'name.env'), join(dir, 'out2'));
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/BIND_HOST must be an IP address/);
  });

  it('haproxy.cfg is valid for haproxy -c', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-haproxy-'));
    const pem = join(dir, 'doorcast.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=cloud.example.com', '-keyout', pem, '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    writeFileSync(pem, readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(pem, 'utf8'));
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, readFileSync(join(here, 'haproxy.cfg'), 'utf8').replaceAll('/etc/haproxy/doorcast.pem', pem));
    const r = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8', timeout: 10_000 });
    expect(r.error, 'haproxy not found: install the Debian package haproxy (.ci/run does)').toBeUndefined();
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/WARNING|ALERT/);
  });

  it.skipIf(!hasSystemd)('the node template unit verifies as an instance, hardened like the single node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-unit-'));
    const unit = readFileSync(join(here, 'doorcast-broker@.service'), 'utf8');
    writeFileSync(join(dir, 'doorcast-broker@.service'), unit);
    symlinkSync(join(dir, 'doorcast-broker@.service'), join(dir, 'doorcast-broker@2.service'));
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'doorcast-broker@2.service')], { encoding: 'utf8' });
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/\/opt\/doorcast|is not executable|No such file/.test(l));
    expect(problems).toEqual([]);
    expect(unit).toContain('--config /etc/doorcast/broker-%i.yaml');
    for (const line of ['Restart=always', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/doorcast-broker', 'StateDirectory=doorcast-broker']) expect(unit).toContain(line);
  });
});
