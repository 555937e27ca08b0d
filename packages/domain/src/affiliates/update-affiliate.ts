import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireNetworkRole } from '../shared/policies';
import { type AffiliateView, requireSelfOrNetwork, toAffiliateView } from './affiliate-view';

/** The affiliate edits its profile; network owners/admins also change its status. */
export async function updateAffiliate(
  deps: Deps,
  actor: Actor,
  affiliateId: string,
  input: {
    name?: string;
    website?: string | null;
    status?: 'active' | 'suspended';
    reason?: string;
    websites?: string[];
    channels?: string[];
    countries?: string[];
    categories?: string[];
    description?: string | null;
    payoutCurrency?: string | null;
  },
): Promise<AffiliateView> {
  requireSelfOrNetwork(actor, affiliateId);
  if (input.status !== undefined) requireNetworkRole(actor, ['owner', 'admin']);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const before = await tx.affiliate.findUnique({ where: { id: affiliateId } });
    if (!before) throw notFound('Affiliate', affiliateId);
    const { reason, ...data } = input;
    const after = await tx.affiliate.update({ where: { id: affiliateId }, data });
    await writeAudit(tx, actor, { action: 'affiliate.updated', subjectType: 'affiliate', subjectId: affiliateId, data: { ...data, reason } });
    if (input.status !== undefined && input.status !== before.status) {
      await recordEvent(tx, {
        tenantId: actor.tenantId,
        type: 'affiliate.status_changed',
        subjectType: 'affiliate',
        subjectId: affiliateId,
        payload: { from: before.status, to: after.status, reason: reason ?? null, email: after.email, name: after.name },
      });
    }
    return toAffiliateView(after);
  });
}
