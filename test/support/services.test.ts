// The test services themselves: start on a free port, keep data across a clean and a hard
// restart (what the chaos suite relies on), and leave nothing behind.
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startPostgres } from './postgres.js';
import { startRedis } from './redis.js';
import { canConnect } from './service-process.js';

/** One Redis command over a raw socket (inline protocol); the first reply line. */
function redisCmd(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply to ${line}`));
    }, 2000);
    let text = '';
    sock.once('connect', () => sock.write(`${line}\r\n`));
    sock.on('data', (d) => {
      text += d.toString();
      const lines = text.split('\r\n');
      // Bulk replies ($n) carry the value on the next line.
      if (lines.length > (text.startsWith('$') && !text.startsWith('$-1') ? 2 : 1)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(text.startsWith('$') && !text.startsWith('$-1') ? lines[1]! : lines[0]!);
      }
    });
    sock.once('error', reject);
  });
}

describe('test services', () => {
  it('redis: private port, data kept across a clean and a hard restart, gone after destroy', async () => {
    const r = await startRedis();
    try {
      expect(r.url).toBe(`redis://127.0.0.1:${r.port}`);
      expect(await redisCmd(r.port, 'SET k v1')).toBe('+OK');
      await r.restart();
      expect(await redisCmd(r.port, 'GET k')).toBe('v1');
      expect(await redisCmd(r.port, 'SET k v2')).toBe('+OK');
      await r.restart({ hard: true });
      expect(await redisCmd(r.port, 'GET k')).toBe('v2');
      await r.halt();
      expect(await canConnect(r.port)).toBe(false);
      await r.resume();
      expect(await redisCmd(r.port, 'GET k')).toBe('v2');
    } finally {
      await r.destroy();
    }
    expect(existsSync(r.dir)).toBe(false);
    expect(await canConnect(r.port)).toBe(false);
  });

  it('postgres: private port, databases, committed rows kept across a clean and a crash restart', async () => {
    const p = await startPostgres();
    try {
      const url = await p.createDatabase('svc');
      const q = async (sql: string) => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          return (await c.query(sql)).rows;
        } finally {
          await c.end();
        }
      };
      expect(await q('SHOW fsync')).toEqual([{ fsync: 'on' }]);
      await q('CREATE TABLE t (n int); INSERT INTO t VALUES (1)');
      await p.restart();
      await q('INSERT INTO t VALUES (2)');
      await p.restart({ hard: true });
      expect(await q('SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
      await p.dropDatabase('svc');
    } finally {
      await p.destroy();
    }
    expect(existsSync(p.dir)).toBe(false);
    expect(await canConnect(p.port)).toBe(false);
  }, 90_000);
});
