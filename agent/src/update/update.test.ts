// Updates: a package served over HTTP is verified, unpacked and switched in; a wrong hash or
// size changes nothing; a release that never confirms is rolled back by the start guard; the
// whole path through the CLI as systemd would run it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmUpdate, guardStart } from './guard.js';
import { ReleaseRoot, stageRelease } from './release.js';

let server: Server;
let base: string;
const files = new Map<string, Buffer>();
beforeAll(async () => {
  server = createServer((req, res) => {
    const f = files.get(req.url ?? '');
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': f.length }).end(f);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A release package: an agent directory whose bin prints its version. */
function pkg(version: string, layout = true): { url: string; sha256: string; bytes: number; version: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dc-pkg-'));
  if (layout) {
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'doorcast.js'), `console.log(${JSON.stringify(version)});\n`);
  } else writeFileSync(join(dir, 'README'), 'no agent here\n');
  const out = join(dir, '..', `${version}-${Math.random().toString(36).slice(2)}.tgz`);
  execFileSync('tar', ['-czf', out, '-C', dir, '.']);
  const bytes = readFileSync(out);
  const url = `/${version}-${files.size}.tgz`;
  files.set(url, bytes);
  return { url: base + url, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, version };
}

function installed(): ReleaseRoot {
  const root = new ReleaseRoot(mkdtempSync(join(tmpdir(), 'dc-rel-')));
  mkdirSync(join(root.root, 'releases', '1.0.0', 'bin'), { recursive: true });
  writeFileSync(join(root.root, 'releases', '1.0.0', 'bin', 'doorcast.js'), 'console.log("1.0.0");\n');
  root.point(root.release('1.0.0'));
  return root;
}
const runs = (root: ReleaseRoot) => execFileSync(process.execPath, [join(root.current, 'bin', 'doorcast.js')], { encoding: 'utf8' }).trim();

describe('agent updates', () => {
  it('stages a verified release and switches to it; confirm keeps it', async () => {
    const root = installed();
    const p = await stageRelease(pkg('1.1.0'), root, { now: 1000 });
    expect(p).toMatchObject({ from: root.release('1.0.0'), to: root.release('1.1.0'), attempts: 0 });
    expect(runs(root)).toBe('1.1.0');
    expect(guardStart(root, { now: 2000 })).toEqual({ action: 'trying', attempt: 1, to: root.release('1.1.0') });
    expect(confirmUpdate(root)).toBe(true);
    expect(guardStart(root)).toEqual({ action: 'none' });
    expect(JSON.parse(readFileSync(root.last, 'utf8'))).toMatchObject({ outcome: 'confirmed', release: root.release('1.1.0') });
  });

  it('a release that keeps failing to start is rolled back after three starts', async () => {
    const root = installed();
    await stageRelease(pkg('2.0.0-bad'), root, { now: 0, confirmWithinMs: 3_600_000 });
    for (const n of [1, 2, 3]) expect(guardStart(root, { now: n })).toMatchObject({ action: 'trying', attempt: n });
    expect(guardStart(root, { now: 4 })).toMatchObject({ action: 'rolled-back', to: root.release('1.0.0'), reason: '3 starts without confirming' });
    expect(runs(root)).toBe('1.0.0');
    expect(readlinkSync(root.current)).toBe(root.release('1.0.0'));
  });

  it('a release not confirmed before its deadline is rolled back at the next start', async () => {
    const root = installed();
    await stageRelease(pkg('2.1.0'), root, { now: 0, confirmWithinMs: 1000 });
    expect(guardStart(root, { now: 500 })).toMatchObject({ action: 'trying' });
    expect(guardStart(root, { now: 5000 })).toMatchObject({ action: 'rolled-back', reason: 'not confirmed before the deadline' });
    expect(runs(root)).toBe('1.0.0');
  });

  it.each([
    ['a wrong hash', (p: ReturnType<typeof pkg>) => ({ ...p, sha256: 'f'.repeat(64) }), 'hash'],
    ['a wrong size', (p: ReturnType<typeof pkg>) => ({ ...p, bytes: p.bytes - 10 }), 'size'],
    ['a missing package', (p: ReturnType<typeof pkg>) => ({ ...p, url: `${base}/nope.tgz` }), 'download'],
  ] as const)('%s changes nothing', async (_n, spoil, code) => {
    const root = installed();
    await expect(stageRelease(spoil(pkg('3.0.0')), root)).rejects.toMatchObject({ code });
    expect(runs(root)).toBe('1.0.0');
    expect(guardStart(root)).toEqual({ action: 'none' });
  });

  it('a package without an agent in it is refused', async () => {
    const root = installed();
    await expect(stageRelease(pkg('4.0.0', false), root)).rejects.toMatchObject({ code: 'layout' });
    expect(runs(root)).toBe('1.0.0');
  });

  it('the guard as systemd runs it: first start points current at the image release; a bad release is rolled back', async () => {
    const bin = new URL('../../bin/doorcast.js', import.meta.url).pathname;
    const root = new ReleaseRoot(mkdtempSync(join(tmpdir(), 'dc-rel-')));
    const image = join(root.root, 'opt');
    mkdirSync(join(image, 'bin'), { recursive: true });
    writeFileSync(join(image, 'bin', 'doorcast.js'), 'console.log("image")\n');
    const guard = () => execFileSync(process.execPath, [bin, 'update', 'guard', '--root', root.root, '--base', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    guard();
    expect(runs(root)).toBe('image');
    await stageRelease(pkg('5.0.0'), root);
    expect(runs(root)).toBe('5.0.0');
    for (let i = 0; i < 4; i++) guard();
    expect(runs(root)).toBe('image');
    expect(JSON.parse(readFileSync(root.last, 'utf8'))).toMatchObject({ outcome: 'rolled-back', restored: image });
  });
});
