import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireSelfOrNetwork } from './affiliate-view';

export interface RecruitLink {
  affiliateId: string;
  /** The partner sign-up page with this affiliate as the referrer (`ref`): who signs up
   *  through it gets this affiliate as parent for two-tier commissions. */
  url: string;
  /** The `referredBy` value a custom sign-up form sends to `POST /v1/partners/signup`. */
  referredBy: string;
  /** Affiliates who signed up through this affiliate's recruit link. */
  recruits: number;
}

export async function getRecruitLink(deps: Deps, actor: Actor, affiliateId: string): Promise<RecruitLink> {
  requireSelfOrNetwork(actor, affiliateId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const affiliate = await tx.affiliate.findUnique({ where: { id: affiliateId }, select: { id: true } });
    if (!affiliate) throw notFound('Affiliate', affiliateId);
    const [tenant, recruits] = await Promise.all([
      tx.tenant.findUniqueOrThrow({ where: { id: actor.tenantId }, select: { slug: true } }),
      tx.affiliate.count({ where: { parentAffiliateId: affiliateId } }),
    ]);
    const url = new URL(`${deps.publicUrl}/join/${encodeURIComponent(tenant.slug)}`);
    url.searchParams.set('ref', affiliate.id);
    return { affiliateId: affiliate.id, url: url.toString(), referredBy: affiliate.id, recruits };
  });
}
