import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireNetworkRole } from '../shared/policies';
import { type NetworkStripeView, toNetworkStripeView } from './network-stripe-view';

/** Whether the network has connected its Stripe account, and the webhook URL to give Stripe (network owner/admin). */
export async function getNetworkStripeAccount(deps: Deps, actor: Actor): Promise<NetworkStripeView> {
  requireNetworkRole(actor, ['owner', 'admin']);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const account = await tx.networkStripeAccount.findUnique({ where: { tenantId: actor.tenantId }, select: { secretKey: true, updatedAt: true } });
    return toNetworkStripeView(deps.publicUrl, actor.tenantId, account);
  });
}
