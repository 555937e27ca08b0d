import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { type AffiliateView, requireSelfOrNetwork, toAffiliateView } from './affiliate-view';

export async function getAffiliateOrThrow(deps: Deps, actor: Actor, affiliateId: string): Promise<AffiliateView> {
  requireSelfOrNetwork(actor, affiliateId);
  const row = await withTenant(deps.prisma, actor.tenantId, (tx) => tx.affiliate.findUnique({ where: { id: affiliateId } }));
  if (!row) throw notFound('Affiliate', affiliateId);
  return toAffiliateView(row);
}
