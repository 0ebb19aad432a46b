// The systemd units and udev rules in deploy/ are checked by the tools that will load them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const deploy = fileURLToPath(new URL('../../deploy/', import.meta.url));
const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;

/** systemd-analyze verify exits 0 on unknown keys; its output is the verdict. */
function verify(unit: string): string[] {
  const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((l) => l.trim())
    // The image installs /opt/doorcast; this machine does not have it.
    .filter((l) => !/\/opt\/doorcast|is not executable|No such file/.test(l));
}

describe.skipIf(!hasSystemd)('systemd units', () => {
  it.each(['doorcast-agent.service', 'doorcast-broker.service'])('%s verifies without warnings', (u) => {
    expect(verify(join(deploy, 'systemd', u))).toEqual([]);
  });

  it('the check itself catches a bad key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-unit-'));
    const bad = join(dir, 'bad.service');
    writeFileSync(bad, '[Service]\nExecStart=/bin/true\nWatchdogSecs=30\n');
    expect(verify(bad).join('\n')).toMatch(/Unknown key/);
  });

  it('the agent unit is notify + watchdog + restart, hardened, with device groups', () => {
    const u = readFileSync(join(deploy, 'systemd/doorcast-agent.service'), 'utf8');
    for (const line of ['Type=notify', 'Restart=always', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/doorcast', 'User=doorcast', 'SupplementaryGroups=dialout gpio video audio']) {
      expect(u).toContain(line);
    }
    expect(u).toMatch(/^WatchdogSec=\d+/m);
    const exposure = execFileSync('systemd-analyze', ['security', '--offline=yes', join(deploy, 'systemd/doorcast-agent.service')], { encoding: 'utf8' });
    const level = Number(/Overall exposure level for .*: ([\d.]+)/.exec(exposure)?.[1]);
    expect(level).toBeLessThanOrEqual(4.5);
  });
});

describe('udev rules', () => {
  const rules = readFileSync(join(deploy, 'udev/60-doorcast.rules'), 'utf8');
  const lines = rules.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  it('use only known keys and operators', () => {
    for (const l of lines) {
      for (const part of l.split(/,\s*(?=[A-Z])/)) {
        expect(part.trim(), l).toMatch(/^(SUBSYSTEM|KERNEL|ACTION|ATTRS\{\w+\}|GROUP|MODE|SYMLINK|PROGRAM)(==|\+=|=)"[^"]*"$/);
      }
    }
  });
  it('give the agent groups their devices and name the controller adapter', () => {
    expect(rules).toMatch(/SUBSYSTEM=="tty".*GROUP="dialout".*SYMLINK\+="doorcast-controller"/);
    expect(rules).toMatch(/KERNEL=="gpiochip\*", GROUP="gpio"/);
    expect(rules).toMatch(/KERNEL=="fb\[0-9\]\*", GROUP="video"/);
  });
});
