import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'doorcast-broker-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('broker config', () => {
  it('fills safe defaults and resolves paths against the file', () => {
    const c = loadConfig(write('ok.yaml', 'version: 1\nstateDir: state\nmqtt:\n  tcp: { port: 0 }\n'));
    expect(c.stateDir).toBe(join(dir, 'state'));
    expect(c.mqtt.tcp).toEqual({ host: '127.0.0.1', port: 0 });
    expect(c.mqtt.tls).toBeUndefined();
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8080, websocket: true, metrics: 'operator' });
  });

  it.each([
    ['version: 2\nstateDir: s\n', 'version'],
    ['version: 1\n', 'stateDir'],
    ['version: 1\nstateDir: s\nmqtt:\n  tcp: { port: 70000 }\n', 'mqtt.tcp.port'],
    ['version: 1\nstateDir: s\nmqtt:\n  tls: { port: 0 }\n', 'mqtt.tls.certFile'],
    ['version: 1\nstateDir: s\nhttp:\n  metrics: everyone\n', 'http.metrics'],
    ['version: 1\nstateDir: s\nallowAnonymous: true\n', '(root)'],
    ['version: 1\nstateDir: s\npublicUrls: { mqtt: "tcp://x" }\n', 'publicUrls.mqtt'],
  ])('rejects %j naming %s', (text, path) => {
    const f = write('bad.yaml', text);
    expect(() => loadConfig(f)).toThrow(ConfigError);
    try {
      loadConfig(f);
    } catch (err) {
      expect((err as ConfigError).issues.some((i) => i.startsWith(`${path}:`))).toBe(true);
    }
  });

  it('reports unreadable and non-YAML files', () => {
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/cannot read \(ENOENT\)/);
    expect(() => loadConfig(write('junk.yaml', 'a: [1, 2\n'))).toThrow(/not YAML/);
  });
});
