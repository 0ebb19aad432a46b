// Operators manage accounts.
import { z } from 'zod';
import { AccountPatchSchema, AccountSchema, NewAccountSchema } from '../../market/accounts.js';
import type { Market } from '../../market/market.js';
import { ApiError } from '../errors.js';
import { decodeCursor, PageSchema, page, type RouteTable } from '../route.js';

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const List = z.object({ items: z.array(AccountSchema), nextCursor: z.string().nullable() });

export function accountRoutes(t: RouteTable, m: Market): void {
  t.add({ method: 'GET', url: '/api/v1/accounts', access: 'operator', tag: 'accounts', summary: 'List accounts', query: PageSchema, response: List, csv: (r: z.infer<typeof List>) => r.items }, async ({ query }) =>
    page(await m.accounts.list(query.limit + 1, decodeCursor(query.cursor)), query.limit, (a) => a.id),
  );

  t.add({ method: 'POST', url: '/api/v1/accounts', access: 'operator', tag: 'accounts', summary: 'Create an operator or merchant account', body: NewAccountSchema, response: AccountSchema, status: 201 }, ({ body, req }) => {
    req.log.info({ role: body.role }, 'account created');
    return m.accounts.create(body);
  });

  t.add({ method: 'PATCH', url: '/api/v1/accounts/:id', access: 'operator', tag: 'accounts', summary: 'Rename, disable or enable an account', params: IdParams, body: AccountPatchSchema, response: AccountSchema }, ({ params, body, account }) => {
    if (params.id === account.id && body.disabled) throw new ApiError(400, 'bad-request', 'you cannot disable your own account', [{ path: 'body.disabled', message: 'not your own' }]);
    return m.accounts.update(params.id, body);
  });
}
