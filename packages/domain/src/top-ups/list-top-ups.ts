import { withTenant } from '@app/db/with-tenant';
import { loadMerchantOrThrow } from '../merchants/get-merchant-or-throw';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { decodeCursor, pageOf } from '../shared/pagination';
import { requireMerchantRead } from '../shared/policies';
import { type TopUpStatus, type TopUpView, toTopUpView } from './top-up-view';

export interface ListTopUpsQuery {
  limit: number;
  cursor?: string;
  status?: TopUpStatus;
}

/** A merchant's top-ups, newest first (its members and network staff). */
export async function listTopUps(
  deps: Deps,
  actor: Actor,
  merchantId: string,
  query: ListTopUpsQuery,
): Promise<{ data: TopUpView[]; nextCursor: string | null }> {
  requireMerchantRead(actor, merchantId);
  const after = decodeCursor(query.cursor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await loadMerchantOrThrow(tx, merchantId);
    const rows = await tx.topUp.findMany({
      where: { tenantId: actor.tenantId, merchantId, ...(query.status ? { status: query.status } : {}), ...(after ? { id: { lt: after } } : {}) },
      orderBy: { id: 'desc' },
      take: query.limit + 1,
    });
    return pageOf(rows.map(toTopUpView), query.limit);
  });
}
