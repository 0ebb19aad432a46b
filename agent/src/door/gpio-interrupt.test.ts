// The real /sys path: onoff hardcodes /sys/class/gpio, so it runs in a private mount namespace
// (unshare -m, as root) where /sys/class is a tmpfs holding the fake tree. epoll refuses
// regular files (EPERM), so here the source must say so and fall back to polling; on a real
// kernel the same call succeeds. Skipped where namespaces are not allowed.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const canUnshare = (() => {
  try {
    execFileSync('unshare', ['-m', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('GPIO source on /sys', () => {
  it.skipIf(!canUnshare)('goes through onoff (epoll), falls back to polling when refused, and releases every handle', () => {
    const child = fileURLToPath(new URL('./testing/gpio-namespace-child.ts', import.meta.url));
    const out = execFileSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs none /sys/class && exec "${process.execPath}" --import tsx "${child}"`], { encoding: 'utf8', timeout: 30_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    // onoff was reached: its epoll registration is what the kernel refused.
    expect(r.warnings).toEqual([expect.stringMatching(/Operation not permitted|EPERM/)]);
    expect(r.up).toMatchObject({ link: 'up', detail: 'pinctrl-bcm2711 base 512: door-contact@gpiochip512+4=gpio516:poll 10 ms' });
    // Interrupt mode asks the kernel for both edges (gpio-interrupt.ts).
    expect(r.edge).toBe('both');
    expect(r.events).toEqual(['opened']);
    expect(r.exports).toEqual([516]);
    expect(r.unexports).toEqual([516]);
  });
});
