import { withTenant } from '@app/db/with-tenant';
import { loadMerchantOrThrow } from '../../merchants/get-merchant-or-throw';
import type { Actor } from '../../shared/actor';
import type { Deps } from '../../shared/deps';
import { requireMerchantRead } from '../../shared/policies';
import { type StripeIntegrationView, toStripeIntegrationView } from './stripe-integration-view';

/** A merchant's Stripe webhook setting (configured or not, with the URL to give Stripe). */
export async function getStripeIntegration(deps: Deps, actor: Actor, merchantId: string): Promise<StripeIntegrationView> {
  requireMerchantRead(actor, merchantId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => toStripeIntegrationView(deps.publicUrl, await loadMerchantOrThrow(tx, merchantId)));
}
