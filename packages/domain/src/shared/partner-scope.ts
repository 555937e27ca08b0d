import type { Tx } from '@app/db/with-tenant';
import type { Actor } from './actor';
import { forbidden } from './errors';
import { affiliateIdOf, memberMerchantIds, networkRole } from './policies';

/**
 * Which rows of an affiliate-owned, per-program table (links, coupons…) the actor may
 * list: network staff all, an affiliate its own, a merchant's members those of its
 * programs. Returned as a Prisma `where` fragment to AND with the caller's filters.
 */
export async function partnerRowScope(tx: Tx, actor: Actor, what: string): Promise<{ affiliateId?: string; programId?: { in: string[] } }> {
  if (networkRole(actor)) return {};
  const ownAffiliateId = affiliateIdOf(actor);
  if (ownAffiliateId) return { affiliateId: ownAffiliateId };
  const merchantIds = memberMerchantIds(actor);
  if (merchantIds.length === 0) throw forbidden(`Only affiliates, merchant members and network staff list ${what}.`);
  const programs = await tx.program.findMany({ where: { merchantId: { in: merchantIds } }, select: { id: true } });
  return { programId: { in: programs.map((p) => p.id) } };
}
