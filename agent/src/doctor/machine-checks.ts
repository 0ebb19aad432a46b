// Checks of the box itself: disk space and a write test, SD-card (ext4) error counters, Pi
// under-voltage/throttling flags, clock synchronisation, ffmpeg. Roots are parameters so tests
// run them against fake trees.
import { execFile } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FfmpegNotFoundError, locate } from '../media/ffmpeg.js';
import { type CheckResult, fail, pass, skip, warn } from './check.js';

const run = promisify(execFile);

export function checkDisk(stateDir: string, writeBytes = 1 << 20): CheckResult {
  const title = 'disk';
  try {
    mkdirSync(stateDir, { recursive: true });
    const s = statfsSync(stateDir);
    const free = s.bavail * s.bsize;
    const total = s.blocks * s.bsize;
    const probe = join(stateDir, `.doctor-${process.pid}`);
    const t = performance.now();
    const fd = openSync(probe, 'w');
    try {
      writeSync(fd, Buffer.alloc(writeBytes, 0xa5));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
    const mbps = writeBytes / 2 ** 20 / ((performance.now() - t) / 1000);
    const detail = `${(free / 2 ** 30).toFixed(1)} GiB free of ${(total / 2 ** 30).toFixed(1)} GiB in ${stateDir}; write+fsync ${mbps.toFixed(1)} MB/s`;
    if (free < 100 * 2 ** 20) return fail('disk', title, detail, 'free space: the store rolls up door events but needs room for impressions; remove old files or use a larger card');
    if (free < total * 0.1) return warn('disk', title, detail, 'less than 10% free: plan a larger card before the outbox backs up');
    return pass('disk', title, detail);
  } catch (err) {
    return fail('disk', title, `cannot write in ${stateDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'check the state partition is mounted read-write and owned by the doorcast user');
  }
}

/** ext4 keeps error counters per filesystem in sysfs; any error on an SD card is a warning sign. */
export function checkSdHealth(sysfsRoot = '/sys'): CheckResult {
  const dir = join(sysfsRoot, 'fs', 'ext4');
  if (!existsSync(dir)) return skip('sd-health', 'SD card health', 'no ext4 filesystems exposed');
  const bad: string[] = [];
  for (const dev of readdirSync(dir)) {
    const f = join(dir, dev, 'errors_count');
    if (!existsSync(f)) continue;
    const n = Number(readFileSync(f, 'utf8').trim());
    if (n > 0) bad.push(`${dev}: ${n} errors`);
  }
  if (bad.length) return fail('sd-health', 'SD card health', bad.join(', '), 'the card is failing: copy /var/lib/doorcast off and replace the card (use an industrial/high-endurance card)');
  return pass('sd-health', 'SD card health', 'no ext4 errors recorded');
}

/** Raspberry Pi firmware flags (vcgencmd get_throttled; the same bits in sysfs on newer kernels). */
export async function checkPower(sysfsRoot = '/sys', vcgencmd = 'vcgencmd'): Promise<CheckResult> {
  const title = 'power / throttling';
  let raw: string | null = null;
  const f = join(sysfsRoot, 'devices', 'platform', 'soc', 'soc:firmware', 'get_throttled');
  if (existsSync(f)) raw = readFileSync(f, 'utf8').trim();
  else {
    try {
      raw = (await run(vcgencmd, ['get_throttled'], { timeout: 3000 })).stdout.trim().replace(/^throttled=/, '');
    } catch {
      return skip('power', title, 'not a Raspberry Pi (no firmware throttling flags)');
    }
  }
  const bits = Number.parseInt(raw, raw.startsWith('0x') ? 16 : 16);
  if (!Number.isFinite(bits)) return warn('power', title, `unreadable flags ${JSON.stringify(raw)}`, 'update the Pi firmware');
  const now = [bits & 0x1 && 'under-voltage', bits & 0x4 && 'throttled', bits & 0x8 && 'soft temperature limit'].filter(Boolean);
  const ever = [bits & 0x10000 && 'under-voltage', bits & 0x40000 && 'throttled'].filter(Boolean);
  if (now.length) return fail('power', title, `now: ${now.join(', ')} (flags 0x${bits.toString(16)})`, 'use the official 5.1 V / 3 A supply and a short thick cable; check the enclosure ventilation');
  if (ever.length) return warn('power', title, `since boot: ${ever.join(', ')} (flags 0x${bits.toString(16)})`, 'the supply sags under load: replace the power supply or cable');
  return pass('power', title, 'no under-voltage or throttling since boot');
}

export function checkClock(sync: 'timesyncd' | 'assume-synced' | 'never', flagFile: string): CheckResult {
  if (sync === 'assume-synced') return pass('clock', 'clock', 'trusted by configuration (assume-synced)');
  if (sync === 'never') return warn('clock', 'clock', 'never synchronised by configuration: impressions carry unsynced times', 'enable NTP (clock.sync: timesyncd) so reports land in the right hour');
  if (existsSync(flagFile)) return pass('clock', 'clock', 'synchronised (systemd-timesyncd)');
  return warn('clock', 'clock', `not synchronised yet (${flagFile} missing); records are corrected once it is`, 'check network access to NTP (udp/123) or set a local NTP server in timesyncd.conf');
}

/** Finds ffmpeg and has it decode a generated frame to raw video, as the player does. */
export async function checkFfmpeg(options: { path?: string } = {}): Promise<CheckResult> {
  const title = 'ffmpeg';
  let bin: string;
  try {
    bin = locate('ffmpeg', { path: options.path });
  } catch (err) {
    if (err instanceof FfmpegNotFoundError) return fail('ffmpeg', title, 'not found', 'apt-get install ffmpeg');
    throw err;
  }
  try {
    const { stdout } = await run(bin, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x96:rate=1', '-frames:v', '1', '-pix_fmt', 'rgb565le', '-f', 'rawvideo', 'pipe:1'], { encoding: 'buffer', timeout: 10_000, maxBuffer: 1 << 20 });
    if (stdout.length !== 160 * 96 * 2) return fail('ffmpeg', title, `${bin} decoded ${stdout.length} bytes, expected ${160 * 96 * 2}`, 'reinstall ffmpeg (apt-get install --reinstall ffmpeg)');
    return pass('ffmpeg', title, `${bin} decodes to rgb565le`);
  } catch (err) {
    return fail('ffmpeg', title, `${bin} cannot decode (${(err as Error).message.split('\n')[0]})`, 'reinstall ffmpeg (apt-get install --reinstall ffmpeg)');
  }
}
