// `doorcast status`: what the box is busy with, read from its state while the agent runs:
// the backlog still to sync (and, watched, its drain rate and time to empty), creatives
// ready against those the manifest names, the manifest version. Read-only.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface Status {
  outbox: number;
  oldestAgeS: number;
  doorCounts: number;
  manifestVersion: number;
  creativesReady: number;
  creativesWanted: number;
}

export function readStatus(stateDir: string, nowMs = Date.now()): Status {
  const path = join(stateDir, 'agent.db');
  if (!existsSync(path)) return { outbox: 0, oldestAgeS: 0, doorCounts: 0, manifestVersion: 0, creativesReady: 0, creativesWanted: 0 };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const one = <T>(sql: string, fallback: T): T => {
      try {
        return (db.prepare(sql).pluck().get() as T | undefined) ?? fallback;
      } catch {
        return fallback;
      }
    };
    const oldest = one<number | null>('SELECT min(wall_time_ms) FROM impressions_outbox', null);
    const manifest = (() => {
      try {
        return db.prepare('SELECT version, body FROM manifest_cache WHERE id = 1').get() as { version: number; body: string } | undefined;
      } catch {
        return undefined;
      }
    })();
    const wanted: string[] = manifest ? ((JSON.parse(manifest.body) as { creatives?: { sha256: string }[] }).creatives ?? []).map((c) => c.sha256) : [];
    let ready = 0;
    try {
      const index = JSON.parse(readFileSync(join(stateDir, 'cache', 'index.json'), 'utf8')) as { ready?: Record<string, unknown> };
      ready = wanted.filter((s) => index.ready?.[s]).length;
    } catch {
      // no cache yet
    }
    return {
      outbox: one('SELECT count(*) FROM impressions_outbox', 0),
      oldestAgeS: oldest === null ? 0 : Math.max(0, (nowMs - oldest) / 1000),
      doorCounts: one('SELECT count(*) FROM door_count_outbox', 0),
      manifestVersion: manifest?.version ?? 0,
      creativesReady: ready,
      creativesWanted: wanted.length,
    };
  } finally {
    db.close();
  }
}

const age = (s: number) => (s < 120 ? `${Math.round(s)} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172_800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86_400).toFixed(1)} d`);

function bar(done: number, total: number, width = 20): string {
  const f = total === 0 ? width : Math.round((done / total) * width);
  return `${'█'.repeat(f)}${'░'.repeat(width - f)}`;
}

/** One line; with the previous reading, the drain rate and the time to empty. */
export function formatStatus(s: Status, prev?: { status: Status; atMs: number }, nowMs = Date.now()): string {
  let sync = s.outbox === 0 ? 'backlog empty' : `backlog ${s.outbox.toLocaleString('en')} impressions (oldest ${age(s.oldestAgeS)})`;
  if (prev && s.outbox > 0) {
    const rate = (prev.status.outbox - s.outbox) / ((nowMs - prev.atMs) / 1000);
    sync += rate > 0 ? `, ${Math.round(rate).toLocaleString('en')}/s, empty in ${age(s.outbox / rate)}` : ', not draining';
  }
  const creatives = `creatives ${bar(s.creativesReady, s.creativesWanted, 10)} ${s.creativesReady}/${s.creativesWanted}`;
  return `manifest v${s.manifestVersion} · ${creatives} · ${sync}${s.doorCounts ? ` · ${s.doorCounts} hourly counts to send` : ''}`;
}
