// Test support for the marketplace API: a JSON client, and a broker with an operator, two
// merchants near one site and a second site further away. Used by the API tests, the browser
// tests and the benchmarks.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreativeRows } from '../creatives/creative-rows.js';
import { creativeId } from '../creatives/upload-rules.js';
import type { Account } from '../market/accounts.js';
import { startTestBroker, type TestBroker } from '../testing.js';

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  constructor(
    readonly base: string,
    public token?: string,
  ) {}

  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
    const raw = body instanceof Uint8Array || typeof body === 'string';
    const r = await fetch(this.base + path, {
      method,
      headers: {
        ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? (body as string | Uint8Array<ArrayBuffer>) : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await r.text();
    let parsed: unknown = text;
    if ((r.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: r.status, body: parsed as T, headers: r.headers };
  }

  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
  get = <T = any>(path: string) => this.call<T>('GET', path);
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
  post = <T = any>(path: string, body?: unknown) => this.call<T>('POST', path, body);

  /** A client signed in as this account. */
  async as(email: string, password: string): Promise<ApiClient> {
    const r = await new ApiClient(this.base).post<{ token: string }>('/api/v1/session', { email, password });
    if (r.status !== 200) throw new Error(`sign-in of ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return new ApiClient(this.base, r.body.token);
  }
}

export const PASSWORDS = { operator: 'operator-secret-1', merchant: 'merchant-secret-1' } as const;

export interface MarketFixture {
  broker: TestBroker;
  base: string;
  anonymous: ApiClient;
  operator: ApiClient;
  noodles: ApiClient;
  bakery: ApiClient;
  accounts: { operator: Account; noodles: Account; bakery: Account };
}

/** Maple Court (Shanghai) with two shops 150–300 m away; Oak Gardens 12 km off. */
export async function startMarketFixture(overrides: Parameters<typeof startTestBroker>[0] = {}): Promise<MarketFixture> {
  const broker = await startTestBroker(overrides);
  const base = `http://127.0.0.1:${broker.httpPort}`;
  const a = broker.market.accounts;
  const operator = await a.create({ email: 'ops@doorcast.test', name: 'Ops', role: 'operator', password: PASSWORDS.operator });
  const noodles = await a.create({ email: 'noodles@shop.test', name: 'Li', role: 'merchant', password: PASSWORDS.merchant, merchant: { name: 'Li Noodle Bar', lat: 31.2312, lon: 121.4712 } });
  const bakery = await a.create({ email: 'bakery@shop.test', name: 'Wang', role: 'merchant', password: PASSWORDS.merchant, merchant: { name: 'Corner Bakery', lat: 31.2325, lon: 121.4701 } });
  await broker.market.sites.create({ id: 'maple', name: 'Maple Court', lat: 31.23, lon: 121.47, timezone: 'Asia/Shanghai', doors: [{ id: 'east', name: 'East gate' }], capacityUnits: 6 });
  await broker.market.sites.create({ id: 'oak', name: 'Oak Gardens', lat: 31.33, lon: 121.52, timezone: 'Asia/Shanghai', doors: [{ id: 'north', name: 'North gate' }], capacityUnits: 4 });
  const anonymous = new ApiClient(base);
  return {
    broker,
    base,
    anonymous,
    operator: await anonymous.as(operator.email, PASSWORDS.operator),
    noodles: await anonymous.as(noodles.email, PASSWORDS.merchant),
    bakery: await anonymous.as(bakery.email, PASSWORDS.merchant),
    accounts: { operator, noodles, bakery },
  };
}

/**
 * A ready creative for `merchantId` without running ffmpeg: random bytes hosted in the
 * creative store as its one rendition. For booking and manifest tests that never play it.
 */
export async function addTestCreative(broker: TestBroker, merchantId: string, name = 'clip.mp4'): Promise<string> {
  const bytes = randomBytes(4096);
  const dir = mkdtempSync(join(tmpdir(), 'dc-creative-'));
  const file = join(dir, name);
  writeFileSync(file, bytes);
  // The store keeps its own copy.
  const stored = await broker.creatives.addFile(file).finally(() => rmSync(dir, { recursive: true, force: true }));
  const id = creativeId(merchantId, stored.sha256);
  const rows = new CreativeRows(broker.market.sites.db);
  const at = new Date().toISOString();
  await rows.insert({ id, merchantId, name, originalSha256: stored.sha256, bytes: bytes.length, durationMs: 4000, width: 800, height: 480, codec: 'h264', owner: 'test', at });
  await rows.markReady(id, [{ profile: 'gate-7in', sha256: stored.sha256, bytes: stored.bytes, durationMs: 4000, width: 800, height: 480 }], { file: `${id}.png`, bytes: 1, atMs: 0 }, at);
  return id;
}
