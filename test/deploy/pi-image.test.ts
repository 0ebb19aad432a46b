// deploy/pi-image: both scripts pass shellcheck, and first boot runs against a folder standing
// in for the SD card, with the real `doorcast provision` against a test broker.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../broker/src/testing.js';

const here = fileURLToPath(new URL('../../deploy/pi-image/', import.meta.url));
const doorcast = `${process.execPath} ${fileURLToPath(new URL('../../agent/bin/doorcast.js', import.meta.url))}`;
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => broker?.destroy());

function sdCard(settings: string) {
  const root = mkdtempSync(join(tmpdir(), 'dc-sd-'));
  mkdirSync(join(root, 'boot/firmware'), { recursive: true });
  writeFileSync(join(root, 'boot/firmware/doorcast.txt'), settings);
  // A stand-in systemctl that records what it was asked.
  const systemctl = join(root, 'systemctl');
  writeFileSync(systemctl, `#!/bin/sh\necho "$@" >> ${join(root, 'systemctl.log')}\n`, { mode: 0o755 });
  return { root, systemctl };
}
// Asynchronous: the test broker answers from this process's event loop.
function firstBoot(root: string, systemctl: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', [join(here, 'first-boot.sh')], { env: { ...process.env, ROOT: root, DOORCAST: doorcast, SYSTEMCTL: systemctl }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('pi-image', () => {
  it.each(['first-boot.sh', 'build.sh'])('%s passes shellcheck', (f) => {
    expect(() => execFileSync('shellcheck', [join(here, f)], { encoding: 'utf8' })).not.toThrow();
  });

  it('first boot provisions from the code on the boot partition, deletes it, enables the agent, and only once', async () => {
    const { code } = await broker.createEnrolment('maple', 'gate-20', 3_600_000);
    const { root, systemctl } = sdCard(`# written by the installer\nBROKER=http://127.0.0.1:${broker.httpPort}\r\nCODE=${code}\nTIMEZONE=Asia/Shanghai\nSERIAL=/dev/doorcast-controller\nDOOR=east-gate=1\nSCREEN=null\nEVIL=$(touch /tmp/pwned)\n`);
    const r = await firstBoot(root, systemctl);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/provisioned maple\/gate-20/);
    expect(r.stderr).toMatch(/ignoring unknown setting EVIL/);
    expect(existsSync('/tmp/pwned')).toBe(false);
    expect(readFileSync(join(root, 'etc/doorcast/agent.yaml'), 'utf8')).toMatch(/path: \/dev\/doorcast-controller/);
    expect(existsSync(join(root, 'boot/firmware/doorcast.txt'))).toBe(false);
    expect(readFileSync(join(root, 'systemctl.log'), 'utf8').trim()).toBe('enable --now doorcast-agent.service');
    // A second boot does nothing.
    const again = await firstBoot(root, systemctl);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/already done/);
  }, 90_000);

  it('a spent code fails first boot with the reason, and leaves the settings for a retry', async () => {
    const { code } = await broker.createEnrolment('maple', 'gate-21', 3_600_000);
    const a = sdCard(`BROKER=http://127.0.0.1:${broker.httpPort}\nCODE=${code}\nSERIAL=/dev/ttyUSB0\n`);
    expect((await firstBoot(a.root, a.systemctl)).status).toBe(0);
    const b = sdCard(`BROKER=http://127.0.0.1:${broker.httpPort}\nCODE=${code}\nSERIAL=/dev/ttyUSB0\n`);
    const r = await firstBoot(b.root, b.systemctl);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/enrolment refused: used/);
    expect(existsSync(join(b.root, 'boot/firmware/doorcast.txt'))).toBe(true);
    expect(existsSync(join(b.root, 'etc/doorcast/agent.yaml'))).toBe(false);
  }, 90_000);
});
