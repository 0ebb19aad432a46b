// Creative upload (raw video body), status, and the preview still.
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import { describeReason, type MarketCreative } from '../../creatives/uploads.js';
import type { Account } from '../../market/accounts.js';
import type { Market } from '../../market/market.js';
import { ApiError } from '../errors.js';
import { PageSchema, type RouteTable } from '../route.js';

const IdParams = z.strictObject({ id: z.string().regex(/^cr_[0-9a-f]{20}$/, 'a creative id (cr_…)') });
const CreativeOut = z.looseObject({ id: z.string(), merchantId: z.string(), name: z.string(), status: z.enum(['processing', 'ready', 'rejected']), reason: z.string().nullable(), message: z.string().nullable() });
const List = z.object({ items: z.array(CreativeOut), nextCursor: z.string().nullable() });

const out = (c: MarketCreative) => ({ ...c, message: c.reason ? describeReason(c.reason) : null });

async function visible(m: Market, account: Account, id: string): Promise<MarketCreative> {
  const c = await m.uploads.get(id);
  if (!c || (account.role === 'merchant' && c.merchantId !== account.merchantId)) throw new ApiError(404, 'not-found', `no creative ${id}`);
  return c;
}

export function creativeRoutes(t: RouteTable, m: Market): void {
  t.add({ method: 'GET', url: '/api/v1/creatives', access: 'signed-in', tag: 'creatives', summary: "Creatives: a merchant's own, or all for operators", query: PageSchema, response: List, csv: (r: z.infer<typeof List>) => r.items }, async ({ query, account }) => {
    // The uploads' cursor is opaque (base64url) already: it passes through as it is.
    let r: Awaited<ReturnType<Market['uploads']['list']>>;
    try {
      r = await m.uploads.list({ ...(account.role === 'merchant' ? { merchantId: account.merchantId! } : {}), limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
    } catch (err) {
      if (err instanceof TypeError) throw new ApiError(400, 'bad-request', err.message, [{ path: 'query.cursor', message: err.message }]);
      throw err;
    }
    return { items: r.items.map(out), nextCursor: r.nextCursor };
  });

  t.add(
    {
      method: 'PUT',
      url: '/api/v1/creatives',
      access: 'merchant',
      tag: 'creatives',
      summary: 'Upload a clip (raw bytes); probed at once (413/415/422 with the reason), then transcoded to the screen profiles',
      query: z.strictObject({ name: z.string().min(1).max(255) }),
      rawBody: 'video/*',
      response: CreativeOut,
      status: 202,
    },
    async ({ query, account, req }) => {
      if (account.role !== 'merchant') throw new ApiError(403, 'forbidden', 'creatives are uploaded by the merchant who owns them');
      const length = Number(req.headers['content-length']);
      const c = await m.uploads.accept({
        merchantId: account.merchantId!,
        name: query.name,
        body: req.body as AsyncIterable<Buffer>,
        ...(Number.isFinite(length) ? { declaredBytes: length } : {}),
      });
      return out(c);
    },
  );

  t.add({ method: 'GET', url: '/api/v1/creatives/:id', access: 'signed-in', tag: 'creatives', summary: 'One creative: processing → ready | rejected (with the reason)', params: IdParams, response: CreativeOut }, async ({ params, account }) =>
    out(await visible(m, account, params.id)),
  );

  t.add({ method: 'GET', url: '/api/v1/creatives/:id/preview.png', access: 'signed-in', tag: 'creatives', summary: 'A still from the transcoded clip', params: IdParams, produces: 'image/png' }, async ({ params, account, reply }) => {
    await visible(m, account, params.id);
    const path = await m.uploads.previewPath(params.id);
    if (!path) throw new ApiError(404, 'not-found', 'no preview yet: the clip is still processing or was rejected');
    return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(createReadStream(path));
  });
}
