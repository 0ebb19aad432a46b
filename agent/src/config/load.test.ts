import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './load.js';

const good = {
  version: 1,
  device: { id: 'gate-01', site: 'maple-court' },
  stateDir: './state',
  keyFile: './keys.json',
  site: { timezone: 'Asia/Shanghai' },
  sources: [{ kind: 'serial', name: 'main', path: '/dev/ttyUSB0' }],
  doors: [{ id: 'east-gate', source: 'main', controllerDoor: 1 }],
};

function problems(value: unknown): string[] {
  try {
    parseConfig(value);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('agent config', () => {
  it('fills defaults and resolves relative paths against the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-cfg-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, `version: 1\ndevice: {id: gate-01, site: maple-court}\nstateDir: ./state\nkeyFile: keys.json\nsite: {timezone: Asia/Shanghai}\nsources:\n  - {kind: serial, name: main, path: /dev/ttyUSB0}\ndoors:\n  - {id: east-gate, source: main, controllerDoor: 1}\n`);
    const c = loadConfig(file);
    expect(c.stateDir).toBe(join(dir, 'state'));
    expect(c.keyFile).toBe(join(dir, 'keys.json'));
    expect(c.dwell).toEqual({ graceMs: 3000, maxMs: 30_000, typicalMs: 6000 });
    expect(c.sources[0]).toMatchObject({ baudRate: 115200 });
    expect(c.metrics).toMatchObject({ host: '127.0.0.1', port: 9464 });
  });

  it.each([
    ['a wrong type', { ...good, dwell: { graceMs: 'soon' } }, /^dwell\.graceMs: /],
    ['an unknown key (typo)', { ...good, dwell: { graceMS: 10 } }, /^dwell: .*graceMS/],
    ['a missing key', { ...good, device: { id: 'gate-01' } }, /^device\.site: /],
    ['a bad time zone', { ...good, site: { timezone: 'Mars/Olympus' } }, /^site\.timezone: an IANA time zone/],
    ['an unknown source kind', { ...good, sources: [{ kind: 'carrier-pigeon', name: 'x' }] }, /^sources\.0\.kind: /],
    ['a door naming a missing source', { ...good, doors: [{ id: 'east-gate', source: 'nope', controllerDoor: 1 }] }, /^doors\.0\.source: no source named nope/],
    ['a door mapped twice', { ...good, doors: [...good.doors, { id: 'west', source: 'main', controllerDoor: 1 }] }, /^doors\.1\.controllerDoor: door 1 of main is mapped twice/],
    ['duplicate source names', { ...good, sources: [good.sources[0], good.sources[0]] }, /^sources\.1\.name: duplicate/],
    ['a bad id', { ...good, device: { id: 'Gate 01', site: 'maple-court' } }, /^device\.id: lowercase/],
    ['a wrong version', { ...good, version: 2 }, /^version: /],
    ['a gpio input on door 17', { ...good, sources: [{ kind: 'gpio', name: 'main', inputs: [{ line: 4, door: 17, role: 'door-contact' }] }] }, /^sources\.0\.inputs\.0\.door: /],
    ['a gpio role typo', { ...good, sources: [{ kind: 'gpio', name: 'main', inputs: [{ line: 4, door: 1, role: 'door-sensor' }] }] }, /^sources\.0\.inputs\.0\.role: /],
    ['cloud without credentials', { ...good, cloud: {} }, /^cloud\.credentialsFile: /],
    ['cloud MQTT 4.5', { ...good, cloud: { credentialsFile: 'c.json', protocolVersion: 4.5 } }, /^cloud\.protocolVersion: /],
  ])('%s is reported with its path', (_, value, expected) => {
    expect(problems(value).some((p) => expected.test(p))).toBe(true);
  });

  it('a gpio source and a cloud section take their defaults', () => {
    const c = parseConfig({ ...good, sources: [{ kind: 'gpio', name: 'main', inputs: [{ line: 4, door: 1, role: 'door-contact' }] }], cloud: { credentialsFile: 'c.json' } }, 'x', '/etc/doorcast');
    expect(c.sources[0]).toMatchObject({ sysfsRoot: '/sys', watch: 'interrupt', pollMs: 10, inputs: [{ activeLow: false, edge: 'both', debounceMs: 50 }] });
    expect(c.cloud).toMatchObject({ credentialsFile: '/etc/doorcast/c.json', protocolVersion: 4, batchRecords: 500, maxInFlight: 4 });
  });

  it('reports every problem at once', () => {
    expect(problems({ ...good, version: 3, device: {}, doors: [] }).length).toBeGreaterThanOrEqual(4);
  });

  it('YAML syntax errors name the line; a missing file is clear', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-cfg-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\ndevice: {id: x\n');
    expect(() => loadConfig(file)).toThrow(/YAML line \d/);
    expect(() => loadConfig(join(dir, 'none.yaml'))).toThrow(/cannot read \(ENOENT\)/);
  });
});
