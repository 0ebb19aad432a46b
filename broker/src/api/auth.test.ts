// Sign-in, sessions and authorisation: every route answers 401 without a session, every
// operator route 403 to a merchant, and the lockout, disable and cookie rules hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type MarketFixture, PASSWORDS, startMarketFixture } from './testing.js';

let f: MarketFixture;
beforeAll(async () => {
  f = await startMarketFixture({ market: { maxFailedLogins: 3, lockSeconds: 60 } });
});
afterAll(() => f.broker.destroy());

const concrete = (url: string) => url.replace(':id', 'maple');

describe('sessions', () => {
  it('signs in with the right pair and answers /me; the token is not stored in clear', async () => {
    const me = await f.noodles.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.account).toMatchObject({ email: 'noodles@shop.test', role: 'merchant' });
    expect(me.body.merchant).toMatchObject({ name: 'Li Noodle Bar' });
    const rows = await f.broker.market.accounts.db.all<{ token_sha256: string }>('SELECT token_sha256 FROM web_sessions');
    expect(rows.some((r) => r.token_sha256 === f.noodles.token)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_sha256))).toBe(true);
  });

  it('refuses a wrong password and an unknown email with the same answer', async () => {
    const wrong = await f.anonymous.post('/api/v1/session', { email: 'bakery@shop.test', password: 'not-it-at-all' });
    const unknown = await f.anonymous.post('/api/v1/session', { email: 'nobody@shop.test', password: 'not-it-at-all' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('locks an account after repeated failures (429 with retry-after), even for the right password', async () => {
    await f.operator.post('/api/v1/accounts', { email: 'locky@shop.test', name: 'L', role: 'merchant', password: PASSWORDS.merchant, merchant: { name: 'L', lat: 31, lon: 121 } });
    for (let i = 0; i < 2; i++) expect((await f.anonymous.post('/api/v1/session', { email: 'locky@shop.test', password: 'wrong-password' })).status).toBe(401);
    const third = await f.anonymous.post('/api/v1/session', { email: 'locky@shop.test', password: 'wrong-password' });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await f.anonymous.post('/api/v1/session', { email: 'locky@shop.test', password: PASSWORDS.merchant })).status).toBe(429);
  });

  it('signs out: the token stops working', async () => {
    const c = await f.anonymous.as('bakery@shop.test', PASSWORDS.merchant);
    expect((await c.call('DELETE', '/api/v1/session')).status).toBe(204);
    expect((await c.get('/api/v1/me')).status).toBe(401);
  });

  it('a disabled account is signed out at once and cannot sign in; enabling restores it', async () => {
    const created = await f.operator.post('/api/v1/accounts', { email: 'temp@shop.test', name: 'T', role: 'merchant', password: PASSWORDS.merchant, merchant: { name: 'T', lat: 31, lon: 121 } });
    expect(created.status).toBe(201);
    const c = await f.anonymous.as('temp@shop.test', PASSWORDS.merchant);
    expect((await f.operator.call('PATCH', `/api/v1/accounts/${created.body.id}`, { disabled: true })).body.disabled).toBe(true);
    expect((await c.get('/api/v1/me')).status).toBe(401);
    expect((await f.anonymous.post('/api/v1/session', { email: 'temp@shop.test', password: PASSWORDS.merchant })).status).toBe(403);
    await f.operator.call('PATCH', `/api/v1/accounts/${created.body.id}`, { disabled: false });
    expect((await f.anonymous.as('temp@shop.test', PASSWORDS.merchant)).token).toBeTruthy();
  });

  it('the cookie signs the console in, and a cross-site write with it is refused', async () => {
    const r = await fetch(`${f.base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@doorcast.test', password: PASSWORDS.operator }) });
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^dc_session=[\w-]+; HttpOnly; SameSite=Strict; Path=\//);
    const jar = cookie.split(';')[0]!;
    expect((await fetch(`${f.base}/api/v1/me`, { headers: { cookie: jar } })).status).toBe(200);
    const evil = await fetch(`${f.base}/api/v1/sites/maple`, { method: 'PATCH', headers: { cookie: jar, origin: 'https://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'pwned' }) });
    expect(evil.status).toBe(403);
    expect((await f.broker.market.sites.get('maple'))?.name).toBe('Maple Court');
  });

  it('refuses weak or malformed new accounts with field paths, and a duplicate email with 409', async () => {
    const bad = await f.operator.post('/api/v1/accounts', { email: 'not-an-email', name: '', role: 'merchant', password: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.email', 'body.merchant', 'body.name', 'body.password']);
    const dup = await f.operator.post('/api/v1/accounts', { email: 'NOODLES@shop.test', name: 'x', role: 'operator', password: PASSWORDS.operator });
    expect(dup.status).toBe(409);
  });
});

describe('authorisation, route by route', () => {
  it('every non-public route answers 401 without a session', async () => {
    const spec = (await f.anonymous.get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { 'x-access': string }>> };
    let checked = 0;
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op['x-access'] === 'public') continue;
        const r = await f.anonymous.call(method.toUpperCase(), concrete(path.replace(/\{(\w+)\}/g, ':$1')), method === 'get' ? undefined : {});
        expect([path, method, r.status]).toEqual([path, method, 401]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('every operator route answers 403 to a merchant, and changes nothing', async () => {
    const spec = (await f.anonymous.get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { 'x-access': string }>> };
    let checked = 0;
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op['x-access'] !== 'operator') continue;
        const url = concrete(path.replace(/\{(\w+)\}/g, ':$1')).replace('/accounts/maple', `/accounts/${f.accounts.bakery.id}`);
        const r = await f.noodles.call(method.toUpperCase(), `${url}${method === 'get' ? '?from=2026-12-01&to=2026-12-02' : ''}`, method === 'get' ? undefined : { disabled: true, name: 'x', hours: [] });
        expect([path, method, r.status]).toEqual([path, method, 403]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
    expect((await f.broker.market.accounts.get(f.accounts.bakery.id))?.disabled).toBe(false);
  });

  it('the merchant-only upload refuses an operator', async () => {
    const r = await f.operator.call('PUT', '/api/v1/creatives?name=a.mp4', new Uint8Array([1, 2, 3]), { 'content-type': 'video/mp4' });
    expect(r.status).toBe(403);
  });

  it('unknown routes, bad JSON and oversize bodies get JSON errors', async () => {
    expect((await f.noodles.get('/api/v1/nothing-here')).body).toMatchObject({ error: 'not-found' });
    const badJson = await f.noodles.call('POST', '/api/v1/campaigns', '{"name": ', { 'content-type': 'application/json' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toBe('bad-request');
    const huge = await f.noodles.call('POST', '/api/v1/campaigns', JSON.stringify({ name: 'x'.repeat(400_000) }), { 'content-type': 'application/json' });
    expect(huge.status).toBe(413);
    const wrongType = await f.noodles.call('POST', '/api/v1/campaigns', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(wrongType.status).toBe(415);
  });
});

describe('the OpenAPI document', () => {
  it('is generated from the route table: every route with its schemas', async () => {
    const r = await new ApiClient(f.base).get('/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    const booking = r.body.paths['/api/v1/campaigns'].post;
    expect(booking.requestBody.content['application/json'].schema.properties).toHaveProperty('dayparts');
    expect(booking.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['name', 'sites', 'dayparts', 'dates', 'creatives']));
    expect(r.body.paths['/api/v1/inventory/search'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['lat', 'lon', 'radiusKm', 'from', 'to', 'format']));
    expect(r.body.paths['/api/v1/creatives'].put.requestBody.content).toHaveProperty('video/*');
  });
});
