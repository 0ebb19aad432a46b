// market_creatives (migrations 3 and 4) as typed rows: one creative per merchant and original bytes.
// Renditions and the preview live in their JSON columns, validated on the way out.
import { z } from 'zod';
import type { StateDb } from '../db/state-db.js';

export interface Rendition {
  /** NamedProfile.name */
  profile: string;
  /** Served at /creatives/<sha256> from the CreativeStore. */
  sha256: string;
  bytes: number;
  durationMs: number;
  width: number;
  height: number;
}

export type CreativeStatus = 'processing' | 'ready' | 'rejected';

export interface MarketCreative {
  id: string;
  merchantId: string;
  name: string;
  status: CreativeStatus;
  /** A machine reason (upload-rules.ts UploadReason); describeReason() words it for people. */
  reason: string | null;
  bytes: number;
  durationMs: number | null;
  width: number | null;
  height: number | null;
  codec: string | null;
  renditions: Rendition[];
  createdAt: string;
  updatedAt: string;
}

/**
 * The preview column: a PNG in the CreativeStore (sha256), so every node can serve it; or, for
 * creatives made before that, a file under the workDir/previews/ of the node that made them.
 */
export type PreviewInfo = { sha256: string; bytes: number; atMs: number } | { file: string; bytes: number; atMs: number };

const RenditionsSchema = z.array(
  z.object({
    profile: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().nonnegative(),
    durationMs: z.number().int().nonnegative(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
  }),
);
const PreviewSchema = z.union([
  z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().positive(), atMs: z.number().int().nonnegative() }),
  z.object({ file: z.string().regex(/^cr_[0-9a-f]{20}\.png$/), bytes: z.number().int().positive(), atMs: z.number().int().nonnegative() }),
]);

interface Row {
  id: string;
  merchant_id: string;
  name: string;
  original_sha256: string;
  bytes: number;
  status: CreativeStatus;
  reason: string | null;
  duration_ms: number | null;
  width: number | null;
  height: number | null;
  codec: string | null;
  renditions: string;
  preview: string | null;
  owner: string | null;
  created_at: string;
  updated_at: string;
}

function parseJson<T>(schema: z.ZodType<T>, text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : fallback;
  } catch {
    return fallback;
  }
}

function toCreative(r: Row): MarketCreative {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    name: r.name,
    status: r.status,
    reason: r.reason,
    bytes: r.bytes,
    durationMs: r.duration_ms,
    width: r.width,
    height: r.height,
    codec: r.codec,
    renditions: parseJson(RenditionsSchema, r.renditions, []),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface NewCreative {
  id: string;
  merchantId: string;
  name: string;
  originalSha256: string;
  bytes: number;
  durationMs: number;
  width: number;
  height: number;
  codec: string;
  /** The node whose workDir holds the original (uploads.ts). */
  owner: string;
  at: string;
}

const CURSOR = z.tuple([z.string(), z.string()]);

export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const r = CURSOR.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (r.success) return r.data;
  } catch {
    // fall through: one error for every malformed cursor
  }
  throw new TypeError('cursor: not a cursor this list returned');
}

export class CreativeRows {
  constructor(private readonly db: StateDb) {}

  async get(id: string): Promise<MarketCreative | null> {
    const r = await this.db.get<Row>('SELECT * FROM market_creatives WHERE id = ?', [id]);
    return r ? toCreative(r) : null;
  }

  async preview(id: string): Promise<PreviewInfo | null> {
    const r = await this.db.get<Pick<Row, 'preview'>>("SELECT preview FROM market_creatives WHERE id = ? AND status = 'ready'", [id]);
    return r ? parseJson<PreviewInfo | null>(PreviewSchema, r.preview, null) : null;
  }

  async owner(id: string): Promise<string | null> {
    return (await this.db.get<Pick<Row, 'owner'>>('SELECT owner FROM market_creatives WHERE id = ?', [id]))?.owner ?? null;
  }

  /** False when the id exists already (a concurrent identical upload won). */
  async insert(c: NewCreative): Promise<boolean> {
    const info = await this.db.run(
      `INSERT INTO market_creatives (id, merchant_id, name, original_sha256, bytes, status, duration_ms, width, height, codec, owner, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'processing', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [c.id, c.merchantId, c.name, c.originalSha256, c.bytes, c.durationMs, c.width, c.height, c.codec, c.owner, c.at, c.at],
    );
    return info.changes === 1;
  }

  /** Back to 'processing' for another try (a re-upload after a failure of ours); false if it was not rejected. */
  async retry(id: string, owner: string, at: string): Promise<boolean> {
    return (await this.db.run("UPDATE market_creatives SET status = 'processing', reason = NULL, owner = ?, updated_at = ? WHERE id = ? AND status = 'rejected'", [owner, at, id])).changes === 1;
  }

  /** Only a 'processing' row moves on, so a late job can never overwrite a settled one. */
  async markReady(id: string, renditions: readonly Rendition[], preview: PreviewInfo, at: string): Promise<boolean> {
    const info = await this.db.run("UPDATE market_creatives SET status = 'ready', reason = NULL, renditions = ?, preview = ?, updated_at = ? WHERE id = ? AND status = 'processing'", [
      JSON.stringify(renditions),
      JSON.stringify(preview),
      at,
      id,
    ]);
    return info.changes === 1;
  }

  async markRejected(id: string, reason: string, at: string): Promise<boolean> {
    const info = await this.db.run("UPDATE market_creatives SET status = 'rejected', reason = ?, renditions = '[]', preview = NULL, updated_at = ? WHERE id = ? AND status = 'processing'", [reason, at, id]);
    return info.changes === 1;
  }

  /**
   * Rows a crash or a stop() of `owner` left mid-way, oldest first; with rows from before owners
   * were recorded (then every node shared one workDir).
   */
  async processing(owner: string): Promise<MarketCreative[]> {
    return (await this.db.all<Row>("SELECT * FROM market_creatives WHERE status = 'processing' AND (owner = ? OR owner IS NULL) ORDER BY created_at, id", [owner])).map(
      toCreative,
    );
  }

  /** The legacy preview files ready rows name; any other file in previews/ is a stray. */
  async previewFiles(): Promise<Set<string>> {
    const rows = await this.db.all<Pick<Row, 'preview'>>("SELECT preview FROM market_creatives WHERE status = 'ready' AND preview IS NOT NULL");
    const files = new Set<string>();
    for (const r of rows) {
      const p = parseJson<PreviewInfo | null>(PreviewSchema, r.preview, null);
      if (p && 'file' in p) files.add(p.file);
    }
    return files;
  }

  /** Newest first; keyset pagination on (created_at, id). Rejects with TypeError for a bad limit or cursor. */
  async list(o: { merchantId?: string; limit: number; cursor?: string }): Promise<{ items: MarketCreative[]; nextCursor: string | null }> {
    if (!Number.isInteger(o.limit) || o.limit < 1 || o.limit > 500) throw new TypeError('limit: an integer from 1 to 500');
    const where: string[] = [];
    const args: unknown[] = [];
    if (o.merchantId !== undefined) {
      where.push('merchant_id = ?');
      args.push(o.merchantId);
    }
    if (o.cursor !== undefined) {
      const [at, id] = decodeCursor(o.cursor);
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      args.push(at, at, id);
    }
    const sql = `SELECT * FROM market_creatives ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = await this.db.all<Row>(sql, [...args, o.limit + 1]);
    const page = rows.slice(0, o.limit);
    const last = page.at(-1);
    return { items: page.map(toCreative), nextCursor: rows.length > o.limit && last ? encodeCursor(last.created_at, last.id) : null };
  }
}
