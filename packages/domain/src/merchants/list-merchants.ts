import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { memberMerchantIds, networkRole } from '../shared/policies';
import { type MerchantView, toMerchantView } from './merchant-view';

export interface ListMerchantsInput {
  limit: number;
  cursor?: string;
  status?: 'active' | 'suspended';
  q?: string;
}

/** Network staff see every merchant; merchant members see the merchants they belong to. */
export async function listMerchants(deps: Deps, actor: Actor, input: ListMerchantsInput): Promise<{ data: MerchantView[]; nextCursor: string | null }> {
  const all = networkRole(actor) !== null;
  const own = memberMerchantIds(actor);
  if (!all && own.length === 0) throw forbidden('Only network staff and merchant members can list merchants.');
  const before = decodeCursor(input.cursor);
  const rows = await withTenant(deps.prisma, actor.tenantId, (tx) =>
    tx.merchant.findMany({
      where: {
        ...(all ? {} : { id: { in: own } }),
        ...(before ? { id: { lt: before } } : {}),
        ...(input.status ? { status: input.status } : {}),
        ...(input.q ? { name: { contains: input.q, mode: 'insensitive' as const } } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    }),
  );
  const page = pageOf(rows, input.limit);
  return { data: page.data.map(toMerchantView), nextCursor: page.nextCursor };
}
