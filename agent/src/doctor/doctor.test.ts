// doorcast doctor on a fake box: a controller on a real pty, GPIO and the framebuffer on fake
// sysfs trees, a UT0311 emulator, the real broker. All green first; then each check is made
// to fail in turn and must name its fix.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerEmulator, onSerial } from '@doorcast/firmware-protocol/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startTestBroker, type TestBroker } from '../../../broker/src/testing.js';
import { openPtyPair, type PtyPair } from '../../../test/support/pty.js';
import { FakeGpioKernel } from '../door/testing/fake-sysfs.js';
import { UhppoteEmulator } from '../door/uhppote/emulator.js';
import { initKeyFile } from '../identity/keys.js';
import type { CheckResult } from './check.js';
import { formatResults } from './check.js';
import { runDoctor } from './doctor.js';

let dir: string;
let broker: TestBroker;
let pty: PtyPair;
let link: { close(): Promise<void> };
let kernel: FakeGpioKernel;
let udpPort: number;
const sysfs = () => join(dir, 'sys');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dc-doctor-'));
  broker = await startTestBroker();
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify(await broker.addDevice('maple', 'gate-1')), { mode: 0o600 });
  initKeyFile(join(dir, 'keys.json'));
  pty = await openPtyPair();
  const emu = new ControllerEmulator({ controllerId: 'DC-DOCTOR', doors: 1, heartbeatMs: 200 });
  link = await onSerial(emu, pty.a);
  kernel = new FakeGpioKernel([{ base: 512, ngpio: 54, label: 'pinctrl-bcm2711' }], join(dir, 'gpio-sys'));
  mkdirSync(join(sysfs(), 'class/graphics/fb0'), { recursive: true });
  writeFileSync(join(sysfs(), 'class/graphics/fb0/virtual_size'), '800,480\n');
  writeFileSync(join(sysfs(), 'class/graphics/fb0/bits_per_pixel'), '16\n');
  writeFileSync(join(sysfs(), 'class/graphics/fb0/stride'), '1600\n');
  writeFileSync(join(dir, 'fb0'), Buffer.alloc(1600 * 480));
  mkdirSync(join(sysfs(), 'fs/ext4/mmcblk0p3'), { recursive: true });
  writeFileSync(join(sysfs(), 'fs/ext4/mmcblk0p3/errors_count'), '0\n');
  mkdirSync(join(sysfs(), 'devices/platform/soc/soc:firmware'), { recursive: true });
  writeFileSync(join(sysfs(), 'devices/platform/soc/soc:firmware/get_throttled'), '0x0\n');
  const s = (await import('node:dgram')).createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  udpPort = s.address().port;
  s.close();
});
afterAll(async () => {
  await link?.close();
  await pty?.close();
  kernel?.close();
  await broker?.destroy();
});

function config(over: Record<string, unknown> = {}): string {
  const file = join(dir, `agent-${Math.random().toString(36).slice(2)}.yaml`);
  const c = {
    version: 1,
    device: { id: 'gate-1', site: 'maple' },
    stateDir: join(dir, 'state'),
    keyFile: join(dir, 'keys.json'),
    site: { timezone: 'Asia/Shanghai' },
    sources: [
      { kind: 'serial', name: 'main', path: pty.b },
      { kind: 'gpio', name: 'bike', sysfsRoot: kernel.root, inputs: [{ line: 17, door: 1, role: 'door-contact' }] },
      { kind: 'udp-controller', name: 'side', host: '127.0.0.1', port: udpPort },
    ],
    doors: [{ id: 'east', source: 'main', controllerDoor: 1 }],
    clock: { sync: 'assume-synced' },
    screen: { sink: 'framebuffer', device: join(dir, 'fb0'), sysfsRoot: sysfs() },
    cloud: { credentialsFile: join(dir, 'credentials.json') },
    ...over,
  };
  writeFileSync(file, stringify(c));
  return file;
}

async function doctor(file: string, path?: string): Promise<CheckResult[]> {
  const udp = new UhppoteEmulator({ serial: 4242, listener: { host: '127.0.0.1', port: udpPort } });
  await udp.start();
  // A resident swiping now and then while the doctor listens.
  const t = setInterval(() => udp.swipe(1, 1, true), 150);
  try {
    return await runDoctor(file, { listenMs: 800, showMs: 10, sysfsRoot: sysfs(), path });
  } finally {
    clearInterval(t);
    await udp.stop();
  }
}
const byId = (rs: CheckResult[], id: string) => rs.find((r) => r.id === id || r.id.startsWith(`${id}:`));

describe('doorcast doctor', () => {
  it('a healthy box: every check passes, the manifest aside (none yet)', async () => {
    const rs = await doctor(config());
    const bad = rs.filter((r) => r.status !== 'pass' && r.id !== 'manifest');
    expect(bad).toEqual([]);
    expect(byId(rs, 'serial')?.detail).toMatch(/doorlink frames, 0 framing errors, controller DC-DOCTOR/);
    expect(byId(rs, 'gpio')?.detail).toMatch(/base 512.*17→gpio529/);
    expect(byId(rs, 'udp')?.detail).toMatch(/controller packets from 4242/);
    expect(byId(rs, 'screen')?.detail).toMatch(/800x480 16 bpp; colour bars shown/);
    expect(byId(rs, 'manifest')?.status).toBe('warn');
    expect(formatResults(rs)).toMatch(/✔ config .*\n/);
  }, 30_000);

  it.each([
    ['config', () => config({ dwell: { graceMs: 'soon' } }), 'config', /dwell\.graceMs/, /fix those keys/],
    ['site key permissions', () => {
        chmodSync(join(dir, 'keys.json'), 0o644);
        return config();
      }, 'keys', /chmod 600/, /chmod 600/],
    ['serial adapter unplugged', () => config({ sources: [{ kind: 'serial', name: 'main', path: '/dev/ttyUSB-gone' }] }), 'serial', /not present; serial ports here/, /plug in the USB-serial adapter/],
    ['GPIO chip', () => config({ sources: [{ kind: 'gpio', name: 'main', sysfsRoot: kernel.root, chip: 'gpiochip0', inputs: [{ line: 1, door: 1, role: 'door-contact' }] }] }), 'gpio', /no GPIO chip gpiochip0/, /set chip to one of/],
    ['no framebuffer', () => config({ screen: { sink: 'framebuffer', device: join(dir, 'fb9'), sysfsRoot: sysfs() } }), 'screen', /cannot read .*fb9/, /display cable/],
    ['broker credentials revoked', async () => {
        await broker.revokeDevice('maple', 'gate-1');
        return config();
      }, 'broker', /Not authorized|refused|Bad/i, /rotated or revoked/],
  ] as const)('%s fails with its fix', async (_name, make, id, detail, fix) => {
    const file = await make();
    const rs = await doctor(file);
    chmodSync(join(dir, 'keys.json'), 0o600);
    const r = byId(rs, id);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toMatch(detail);
    expect(r?.fix).toMatch(fix);
  }, 30_000);

  it('machine checks: ffmpeg missing, SD card errors, under-voltage, clock not synchronised', async () => {
    writeFileSync(join(sysfs(), 'fs/ext4/mmcblk0p3/errors_count'), '3\n');
    writeFileSync(join(sysfs(), 'devices/platform/soc/soc:firmware/get_throttled'), '0x50005\n');
    const rs = await doctor(config({ clock: { sync: 'timesyncd', flagFile: join(dir, 'nope') }, sources: [{ kind: 'sim', name: 'main' }] }), '/nonexistent');
    expect(byId(rs, 'ffmpeg')).toMatchObject({ status: 'fail', fix: 'apt-get install ffmpeg' });
    expect(byId(rs, 'sd-health')).toMatchObject({ status: 'fail', detail: 'mmcblk0p3: 3 errors' });
    expect(byId(rs, 'power')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/now: under-voltage, throttled/) });
    expect(byId(rs, 'clock')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/NTP/) });
  }, 30_000);
});
