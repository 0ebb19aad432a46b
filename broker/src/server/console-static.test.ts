// The console's static server over real HTTP on a temp dist dir: content types, caching,
// the SPA fallback, 503 before a build, and no way out of the dist dir.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleStatic, relativePath } from './console-static.js';

let base: string;
let dist: string;
let server: Server;
let port: number;
let emptyServer: Server;
let emptyPort: number;

function serve(dir: string): Promise<[Server, number]> {
  const handle = consoleStatic(dir);
  const s = createServer((req, res) => void handle(req, res, new URL(req.url ?? '/', 'http://x').pathname));
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r([s, (s.address() as AddressInfo).port])));
}

/** A raw request, so paths like /console/../x reach the server unnormalised. */
function get(p: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: p, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'dc-console-'));
  dist = join(base, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dist, 'assets', 'index-AbCd1234.js'), 'console.log(1)');
  writeFileSync(join(dist, 'assets', 'index-Zz9_8-77.css'), 'body{}');
  writeFileSync(join(dist, 'robots.txt'), 'User-agent: *');
  writeFileSync(join(dist, '.env'), 'SECRET=1');
  writeFileSync(join(base, 'secret.txt'), 'outside the dist dir');
  [server, port] = await serve(dist);
  [emptyServer, emptyPort] = await serve(join(base, 'missing'));
});

afterAll(async () => {
  await Promise.all([server, emptyServer].map((s) => new Promise((r) => s.close(r))));
  rmSync(base, { recursive: true, force: true });
});

describe('console static server', () => {
  it('serves index.html at /console/ with no-cache, a CSP and nosniff', async () => {
    const r = await get(port, '/console/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.body).toContain('<title>console</title>');
  });

  it('serves hashed assets with their type, immutable', async () => {
    const js = await get(port, '/console/assets/index-AbCd1234.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-length']).toBe('14');
    expect(js.body).toBe('console.log(1)');
    const css = await get(port, '/console/assets/index-Zz9_8-77.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toContain('immutable');
  });

  it('does not cache unhashed files for good', async () => {
    const r = await get(port, '/console/robots.txt');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
  });

  it('answers a console route with index.html (the SPA fallback)', async () => {
    for (const path of ['/console/campaigns/c_123', '/console/find', '/console/login?next=%2F']) {
      const r = await get(port, path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body).toContain('<title>console</title>');
    }
  });

  it('answers 404, not index.html, for a missing asset', async () => {
    expect((await get(port, '/console/assets/index-gone1234.js')).status).toBe(404);
    expect((await get(port, '/console/logo.png')).status).toBe(404);
  });

  it('redirects /console to /console/', async () => {
    const r = await get(port, '/console');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/console/');
  });

  it('revalidates with the ETag (304)', async () => {
    const first = await get(port, '/console/');
    const etag = String(first.headers.etag);
    const again = await get(port, '/console/', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get(port, '/console/assets/index-AbCd1234.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const post = await get(port, '/console/', {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('never serves a file outside the dist dir, nor a dotfile', async () => {
    const attempts = [
      '/console/../secret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/assets/%2e%2e/%2e%2e/secret.txt',
      '/console/..%2fsecret.txt',
      '/console/..%5csecret.txt',
      '/console/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/console/.env',
      '/console/%2eenv',
      '/console/assets%00/x.js',
      '/console/%E0%A4%A',
    ];
    for (const path of attempts) {
      const r = await get(port, path);
      expect(r.body, path).not.toContain('outside the dist dir');
      expect(r.body, path).not.toContain('SECRET');
      expect([400, 404], path).toContain(r.status);
    }
  });

  it('answers 503 with the fix when the console is not built', async () => {
    const r = await get(emptyPort, '/console/');
    expect(r.status).toBe(503);
    expect(r.body).toBe('console not built: run npm run build\n');
  });
});

describe('relativePath', () => {
  it.each([
    ['', ''],
    ['index.html', 'index.html'],
    ['assets//a.js', 'assets/a.js'],
    ['./assets/a.js', 'assets/a.js'],
    ['campaigns/c%201', 'campaigns/c 1'],
    ['../x', null],
    ['a/%2e%2e/x', null],
    ['a\\..\\x', null],
    ['%zz', null],
    ['x%00', null],
  ])('%j → %j', (raw, out) => {
    expect(relativePath(raw)).toBe(out);
  });
});
