import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireMerchantRead } from '../shared/policies';
import { type TopUpView, toTopUpView } from './top-up-view';

/** One of a merchant's top-ups (the page Stripe Checkout returns to reads its status). */
export async function getTopUp(deps: Deps, actor: Actor, merchantId: string, topUpId: string): Promise<TopUpView> {
  requireMerchantRead(actor, merchantId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const topUp = await tx.topUp.findFirst({ where: { id: topUpId, merchantId } });
    if (!topUp) throw notFound('Top-up', topUpId);
    return toTopUpView(topUp);
  });
}
