import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireNetworkRole } from '../shared/policies';
import { type NetworkStripeView, toNetworkStripeView } from './network-stripe-view';

export interface SetNetworkStripeAccountInput {
  secretKey: string;
  webhookSecret: string;
}

/**
 * The network (owner/admin) connects its own Stripe account, the one merchants' top-up
 * payments go to: the secret API key that creates Checkout Sessions and the signing
 * secret of the webhook endpoint made for `webhookUrl`. Saving again replaces both (a
 * rolled key or secret). Neither is shown or written to the audit log, which records
 * who changed the setting, which secret changed and the mode.
 */
export async function setNetworkStripeAccount(deps: Deps, actor: Actor, input: SetNetworkStripeAccountInput): Promise<NetworkStripeView> {
  requireNetworkRole(actor, ['owner', 'admin']);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const before = await tx.networkStripeAccount.findUnique({ where: { tenantId: actor.tenantId } });
    const account = await tx.networkStripeAccount.upsert({
      where: { tenantId: actor.tenantId },
      create: { tenantId: actor.tenantId, secretKey: input.secretKey, webhookSecret: input.webhookSecret },
      update: { secretKey: input.secretKey, webhookSecret: input.webhookSecret },
    });
    const view = toNetworkStripeView(deps.publicUrl, actor.tenantId, account);
    await writeAudit(tx, actor, {
      action: before ? 'network.stripe_account_updated' : 'network.stripe_account_set',
      subjectType: 'network',
      subjectId: actor.tenantId,
      data: {
        mode: view.mode,
        secretKeyChanged: before?.secretKey !== input.secretKey,
        webhookSecretChanged: before?.webhookSecret !== input.webhookSecret,
      },
    });
    return view;
  });
}
