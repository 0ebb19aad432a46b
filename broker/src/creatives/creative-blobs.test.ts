// Creatives shared through PostgreSQL (a private server): added on node A, stat'ed and served by
// node B through http.ts byte for byte; a corrupt shared copy is refused and leaves nothing;
// concurrent requests share one download; embedded (SQLite) stays files only.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresService, startPostgres } from '../../../test/support/postgres.js';
import type { Identity } from '../auth/usernames.js';
import { PostgresStateDb } from '../db/postgres-state-db.js';
import { SqliteStateDb } from '../db/sqlite-state-db.js';
import type { StateDb } from '../db/state-db.js';
import { silentLogger } from '../obs/log.js';
import { CHUNK_BYTES } from './creative-blobs.js';
import { CreativeError, CreativeStore } from './creative-store.js';
import { serveCreative } from './http.js';

const root = mkdtempSync(join(tmpdir(), 'doorcast-creative-blobs-'));
const dir = (name: string) => join(root, name);
let server: PostgresService;
let url: string;
let sql: pg.Client;
const dbs: StateDb[] = [];
const servers: Server[] = [];
const node = async () => {
  const db = await PostgresStateDb.open({ url, poolMax: 4 });
  dbs.push(db);
  return db;
};

/** Writes `size` random bytes a MiB at a time (never the whole in memory); returns the sha256. */
async function randomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let left = size; left > 0; left -= CHUNK_BYTES) {
    const part = randomBytes(Math.min(left, CHUNK_BYTES));
    hash.update(part);
    if (!out.write(part)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
  return hash.digest('hex');
}

/** The creatives route alone, for one store, to an operator (who may fetch anything). */
async function serve(store: CreativeStore): Promise<string> {
  const op: Identity = { kind: 'operator', username: 'op.ops', name: 'ops' };
  const s = createServer((req, res) => {
    void serveCreative({ creatives: store, mayFetch: () => true, log: silentLogger }, op, (req.url ?? '/').slice(1), req, res);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** Status, headers that matter, and the body's length and hash (bodies are hashed, not kept). */
async function fetchSummary(base: string, sha: string, headers: Record<string, string> = {}, method = 'GET') {
  const r = await fetch(`${base}/${sha}`, { method, headers });
  const hash = createHash('sha256');
  let length = 0;
  for await (const part of r.body ?? []) {
    hash.update(part as Uint8Array);
    length += (part as Uint8Array).length;
  }
  const h = (k: string) => r.headers.get(k);
  return { status: r.status, length, sha256: hash.digest('hex'), contentLength: h('content-length'), contentRange: h('content-range'), etag: h('etag') };
}

/** A StateDb that counts the chunk reads going through it and the largest chunk returned. */
function counting(db: StateDb) {
  const seen = { chunkReads: 0, largest: 0 };
  const wrapped: StateDb = {
    kind: db.kind,
    all: (s, p) => db.all(s, p),
    run: (s, p) => db.run(s, p),
    tx: (f) => db.tx(f),
    close: () => db.close(),
    get: async <T>(s: string, p?: readonly unknown[]) => {
      const row = await db.get<T>(s, p);
      if (s.includes('FROM creative_chunks')) {
        seen.chunkReads++;
        seen.largest = Math.max(seen.largest, (row as { data?: Buffer } | undefined)?.data?.length ?? 0);
      }
      return row;
    },
  };
  return { db: wrapped, seen };
}

const entries = (d: string) => readdirSync(d);

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase();
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
}, 60_000);
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  for (const db of dbs) await db.close().catch(() => {});
  await sql?.end();
  await server?.destroy();
  rmSync(root, { recursive: true, force: true });
}, 30_000);

describe('CreativeStore shared through PostgreSQL', () => {
  // 6 MiB and a bit: six full chunks and a short seventh.
  const SIZE = 6 * CHUNK_BYTES + 12_345;
  let sha: string;
  let a: CreativeStore;
  let b: CreativeStore;

  beforeAll(async () => {
    sha = await randomFile(dir('clip.mp4'), SIZE);
    a = new CreativeStore(dir('a'), { shared: await node() });
    b = new CreativeStore(dir('b'), { shared: await node() });
    expect(a.shared && b.shared).toBe(true);
  }, 60_000);

  it('addFile on A stores it in chunks, durable (committed) before it resolves', async () => {
    expect(await a.addFile(dir('clip.mp4'))).toEqual({ sha256: sha, bytes: SIZE });
    expect(entries(dir('a'))).toEqual([sha]);
    const meta = await sql.query('SELECT bytes, chunk_bytes FROM creative_blobs WHERE sha256 = $1', [sha]);
    expect(meta.rows).toEqual([{ bytes: String(SIZE), chunk_bytes: CHUNK_BYTES }]);
    const chunks = await sql.query('SELECT count(*)::int AS n, max(octet_length(data))::int AS largest, sum(octet_length(data))::bigint AS total FROM creative_chunks WHERE sha256 = $1', [sha]);
    expect(chunks.rows[0]).toEqual({ n: 7, largest: CHUNK_BYTES, total: String(SIZE) });
  });

  it('B, which never saw the file, stats it from the shared row without fetching it', async () => {
    expect(await b.stat(sha)).toEqual({ sha256: sha, bytes: SIZE });
    expect(await b.stat('0'.repeat(64))).toBeNull();
    expect(await b.stat('not-a-sha')).toBeNull();
    expect(entries(dir('b'))).toEqual([]);
  });

  it('B serves HEAD, full and range requests exactly as A does', async () => {
    const [ua, ub] = [await serve(a), await serve(b)];
    const head = await fetchSummary(ub, sha, {}, 'HEAD');
    expect(head).toMatchObject({ status: 200, contentLength: String(SIZE), length: 0 });
    expect(entries(dir('b'))).toEqual([]); // HEAD needs only the size
    const requests: Record<string, string>[] = [
      {},
      { range: 'bytes=0-32767' },
      { range: `bytes=${CHUNK_BYTES - 10}-${CHUNK_BYTES + 9}` }, // across a chunk boundary
      { range: `bytes=${5 * CHUNK_BYTES}-` },
      { range: 'bytes=-10' },
      { range: `bytes=${SIZE}-` },
      { range: 'bytes=0-9', 'if-range': '"stale"' },
    ];
    for (const h of requests) {
      const [ra, rb] = [await fetchSummary(ua, sha, h), await fetchSummary(ub, sha, h)];
      expect(rb, JSON.stringify(h)).toEqual(ra);
    }
    const full = await fetchSummary(ub, sha);
    expect(full).toMatchObject({ status: 200, length: SIZE, sha256: sha, etag: `"${sha}"` });
    expect((await fetchSummary(ub, sha, { range: `bytes=${SIZE}-` })).contentRange).toBe(`bytes */${SIZE}`);
    // Now cached on B: no temp files left beside it.
    expect(entries(dir('b'))).toEqual([sha]);
    expect((await fetchSummary(ub, '0'.repeat(64))).status).toBe(404);
  });

  it('re-adding the same bytes, on either node, changes nothing', async () => {
    expect(await a.addFile(dir('clip.mp4'))).toEqual({ sha256: sha, bytes: SIZE });
    expect(await b.addFile(dir('clip.mp4'))).toEqual({ sha256: sha, bytes: SIZE });
    expect(entries(dir('a'))).toEqual([sha]);
    // New bytes added by both nodes at once: they meet on the keys, one copy is kept.
    const twice = await randomFile(dir('twice.mp4'), 3 * CHUNK_BYTES);
    const [x, y] = await Promise.all([a.addFile(dir('twice.mp4')), b.addFile(dir('twice.mp4'))]);
    expect(x).toEqual(y);
    const count = async (s: string) =>
      (await sql.query('SELECT (SELECT count(*) FROM creative_blobs WHERE sha256 = $1)::int AS blobs, (SELECT count(*) FROM creative_chunks WHERE sha256 = $1)::int AS chunks', [s])).rows[0];
    expect(await count(sha)).toEqual({ blobs: 1, chunks: 7 });
    expect(await count(twice)).toEqual({ blobs: 1, chunks: 3 });
  });

  it('concurrent requests for one creative share one download, one chunk at a time', async () => {
    const { db, seen } = counting(await node());
    const c = new CreativeStore(dir('c'), { shared: db });
    const paths = await Promise.all(Array.from({ length: 8 }, () => c.ensureLocal(sha)));
    expect(new Set(paths)).toEqual(new Set([join(dir('c'), sha)]));
    expect(seen).toEqual({ chunkReads: 7, largest: CHUNK_BYTES });
    expect(entries(dir('c'))).toEqual([sha]);
    // Once local, nothing more is read from the database.
    await c.ensureLocal(sha);
    expect(seen.chunkReads).toBe(7);
  });

  it('a corrupt or incomplete shared copy is refused (hash mismatch) and leaves no file', async () => {
    const small = await randomFile(dir('small.mp4'), 2 * CHUNK_BYTES + 1);
    await a.addFile(dir('small.mp4'));
    // One byte changed (to a value it cannot already have).
    await sql.query('UPDATE creative_chunks SET data = set_byte(data, 99, (get_byte(data, 99) + 1) % 256) WHERE sha256 = $1 AND n = 1', [small]);
    const d = new CreativeStore(dir('d'), { shared: await node() });
    const err = await d.ensureLocal(small).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CreativeError);
    expect(err).toMatchObject({ code: 'corrupt', message: expect.stringContaining('hashes to') });
    expect(entries(dir('d'))).toEqual([]);
    // Through http.ts: a 503 with no partial body, the file still absent, A unaffected.
    const r = await fetchSummary(await serve(d), small);
    expect(r.status).toBe(503);
    expect(entries(dir('d'))).toEqual([]);
    expect((await fetchSummary(await serve(a), small)).sha256).toBe(small);

    await sql.query('DELETE FROM creative_chunks WHERE sha256 = $1 AND n = 2', [small]);
    await expect(d.ensureLocal(small)).rejects.toMatchObject({ code: 'corrupt', message: expect.stringContaining('chunk 2 is missing') });
    expect(entries(dir('d'))).toEqual([]);
  });

  it('a 20 MiB creative goes through in 20 chunks', async () => {
    const big = await randomFile(dir('big.mp4'), 20 * CHUNK_BYTES);
    expect(await a.addFile(dir('big.mp4'))).toEqual({ sha256: big, bytes: 20 * CHUNK_BYTES });
    const { db, seen } = counting(await node());
    const e = new CreativeStore(dir('e'), { shared: db });
    const r = await fetchSummary(await serve(e), big);
    expect(r).toMatchObject({ status: 200, length: 20 * CHUNK_BYTES, sha256: big });
    expect(seen).toEqual({ chunkReads: 20, largest: CHUNK_BYTES });
  }, 60_000);

  it('when the shared store is down, addFile rejects and adds nothing locally', async () => {
    const db = await node();
    const f = new CreativeStore(dir('f'), { shared: db });
    await db.close();
    writeFileSync(dir('new.mp4'), randomBytes(1000));
    await expect(f.addFile(dir('new.mp4'))).rejects.toMatchObject({ name: 'CreativeError', code: 'io' });
    expect(entries(dir('f'))).toEqual([]);
  });
});

describe('CreativeStore embedded (SQLite state db): files only', () => {
  it('keeps nothing in SQLite and answers from the dir alone', async () => {
    const stateDir = dir(`sqlite-${randomUUID()}`);
    const db = new SqliteStateDb(join(stateDir, 'state.db'));
    dbs.push(db);
    const s = new CreativeStore(join(stateDir, 'creatives'), { shared: db });
    expect(s.shared).toBe(false);
    writeFileSync(dir('e.mp4'), Buffer.from('embedded creative'));
    const info = await s.addFile(dir('e.mp4'));
    expect(await s.stat(info.sha256)).toEqual(info);
    expect(await s.ensureLocal(info.sha256)).toBe(s.pathOf(info.sha256));
    expect(await s.ensureLocal('0'.repeat(64))).toBeNull();
    expect(await db.get("SELECT name FROM sqlite_master WHERE name LIKE 'creative_%'")).toBeUndefined();
    expect(existsSync(s.pathOf(info.sha256))).toBe(true);
  });
});
