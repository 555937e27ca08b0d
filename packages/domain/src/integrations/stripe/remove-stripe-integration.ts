import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../../audit/write-audit';
import { loadMerchantOrThrow } from '../../merchants/get-merchant-or-throw';
import type { Actor } from '../../shared/actor';
import type { Deps } from '../../shared/deps';
import { requireMerchantWrite } from '../../shared/policies';

/** Disconnects a merchant's Stripe account: its webhook answers 404 from now on. Idempotent. */
export async function removeStripeIntegration(deps: Deps, actor: Actor, merchantId: string): Promise<void> {
  requireMerchantWrite(actor, merchantId);
  await withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const before = await loadMerchantOrThrow(tx, merchantId);
    if (before.stripeWebhookSecret === null && before.stripeProgramId === null) return;
    await tx.merchant.update({ where: { id: merchantId }, data: { stripeWebhookSecret: null, stripeProgramId: null } });
    await writeAudit(tx, actor, {
      action: 'merchant.stripe_integration_removed',
      subjectType: 'merchant',
      subjectId: merchantId,
      data: { programId: before.stripeProgramId },
    });
  });
}
