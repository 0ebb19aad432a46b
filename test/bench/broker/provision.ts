// Provisions the bench fleet into a broker state db before the broker process starts.
//
// A real device identity costs one scrypt hash (N=16384, ~50 ms of CPU here) to create and one
// more per CONNECT to verify, and on 2 cores neither parallelises past the cores (worker threads
// would not help: libuv already hashes on 4 threads). 5,000 of them would take ~4 minutes to
// provision and ~4 more to connect. So the bulk fleet gets its own identities (own username,
// own secret, same table, same ACL) hashed with scrypt N=256 instead: verifySecret() reads N
// from the stored hash, so the broker's auth path is unchanged, only cheaper. A small sample
// of real identities (IdentityStore.addDevice, the production path) is provisioned beside them
// to measure what the real hash costs per connect.
import { randomBytes, scrypt } from 'node:crypto';
import { IdentityStore } from '../../../broker/src/auth/identities.js';
import { verifySecret } from '../../../broker/src/auth/secret.js';
import { deviceUsername } from '../../../broker/src/auth/usernames.js';
import type { StateDb, StateQueries } from '../../../broker/src/db/state-db.js';
import { FleetRegistry } from '../../../broker/src/registry/fleet.js';
import type { Cred } from './load-protocol.js';

/** scrypt cost of the bulk bench identities (production: 16384). */
export const BENCH_SCRYPT_N = 256;

function cheapHash(secret: string): Promise<string> {
  const salt = randomBytes(16);
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, { N: BENCH_SCRYPT_N, r: 8, p: 1 }, (err, key) =>
      err ? reject(err) : resolve(`scrypt$${BENCH_SCRYPT_N}$8$1$${salt.toString('base64')}$${key.toString('base64')}`),
    ),
  );
}

export interface Fleet {
  /** Bulk devices, scrypt N=BENCH_SCRYPT_N. */
  bulk: Cred[];
  /** Devices provisioned through IdentityStore.addDevice (production scrypt). */
  real: Cred[];
  /** One operator (production scrypt); connects as `op.<name>/<suffix>`. */
  operator: Cred;
  bulkSeconds: number;
  realSeconds: number;
}

export async function provisionFleet(db: StateDb, site: string, bulk: number, real: number): Promise<Fleet> {
  const ids = new IdentityStore(db);
  const fleet = new FleetRegistry(db);

  let t0 = performance.now();
  const bulkCreds: Cred[] = [];
  const hashes: string[] = [];
  // 64 hashes in flight at a time: enough to keep the libuv pool busy, bounded memory.
  for (let i = 0; i < bulk; i += 64) {
    const chunk = Array.from({ length: Math.min(64, bulk - i) }, (_, k) => {
      const device = `gate-${i + k}`;
      return { site, device, username: deviceUsername(site, device), password: randomBytes(32).toString('base64url') };
    });
    hashes.push(...(await Promise.all(chunk.map((c) => cheapHash(c.password)))));
    bulkCreds.push(...chunk);
  }
  // The same columns IdentityStore inserts; register as the broker's addDevice does.
  const now = new Date().toISOString();
  await db.tx(async (q) => {
    for (const [i, c] of bulkCreds.entries()) await insertIdentity(q, { username: c.username, kind: 'device', site: c.site, device: c.device, name: null, secret_hash: hashes[i]!, created_at: now });
  });
  if (bulk > 0 && !(await verifySecret(bulkCreds[0]!.password, hashes[0]!))) throw new Error('bench hash format not accepted by verifySecret');
  const bulkSeconds = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const realCreds = await Promise.all(
    Array.from({ length: real }, async (_, i) => {
      const device = `real-${i}`;
      const r = await ids.addDevice(site, device);
      await fleet.register({ site, device });
      return { site, device, username: r.identity.username, password: r.secret };
    }),
  );
  const op = await ids.addOperator('bench');
  const realSeconds = (performance.now() - t0) / 1000;
  return { bulk: bulkCreds, real: realCreds, operator: { site, device: '', username: op.identity.username, password: op.secret }, bulkSeconds, realSeconds };
}

type IdentityRow = { username: string; kind: string; site: string | null; device: string | null; name: string | null; secret_hash: string; created_at: string };

/** The row IdentityStore inserts, and for a device its fleet row, as the broker's addDevice does. */
async function insertIdentity(q: StateQueries, r: IdentityRow): Promise<void> {
  await q.run('INSERT INTO identities (username, kind, site, device, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [r.username, r.kind, r.site, r.device, r.name, r.secret_hash, r.created_at]);
  if (r.kind === 'device') await q.run('INSERT INTO devices (site, device, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [r.site, r.device, r.created_at]);
}

/** Copies every identity and device row into another state db (a cluster's PostgreSQL). */
export async function copyIdentities(from: StateDb, to: StateDb): Promise<void> {
  const rows = await from.all<IdentityRow>('SELECT username, kind, site, device, name, secret_hash, created_at FROM identities');
  await to.tx(async (q) => {
    for (const r of rows) await insertIdentity(q, r);
  });
}
