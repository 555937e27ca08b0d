import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireNetworkRole } from '../shared/policies';

/**
 * Disconnects the network's Stripe account (owner/admin): no new Stripe top-ups, and the
 * webhook answers 404 (Stripe keeps retrying an event for three days, so reconnecting
 * within that time still credits payments made before).
 */
export async function removeNetworkStripeAccount(deps: Deps, actor: Actor): Promise<void> {
  requireNetworkRole(actor, ['owner', 'admin']);
  await withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const { count } = await tx.networkStripeAccount.deleteMany({ where: { tenantId: actor.tenantId } });
    if (count === 0) throw notFound('Stripe account of the network');
    await writeAudit(tx, actor, { action: 'network.stripe_account_removed', subjectType: 'network', subjectId: actor.tenantId });
  });
}
