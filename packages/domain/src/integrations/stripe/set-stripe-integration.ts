import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../../audit/write-audit';
import { loadMerchantOrThrow } from '../../merchants/get-merchant-or-throw';
import type { Actor } from '../../shared/actor';
import type { Deps } from '../../shared/deps';
import { DomainError } from '../../shared/errors';
import { requireMerchantWrite } from '../../shared/policies';
import { type StripeIntegrationView, toStripeIntegrationView } from './stripe-integration-view';

export interface SetStripeIntegrationInput {
  signingSecret: string;
  programId: string;
}

/**
 * A merchant (owner/admin, or network owner/admin) connects its Stripe account: the
 * signing secret of the webhook endpoint it made in Stripe's dashboard, and the program
 * Stripe conversions go to. Saving again replaces both (a rolled secret). The secret is
 * stored for verifying signatures and never shown or logged again.
 */
export async function setStripeIntegration(deps: Deps, actor: Actor, merchantId: string, input: SetStripeIntegrationInput): Promise<StripeIntegrationView> {
  requireMerchantWrite(actor, merchantId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const before = await loadMerchantOrThrow(tx, merchantId);
    const program = await tx.program.findUnique({ where: { id: input.programId }, select: { merchantId: true, status: true } });
    if (!program || program.merchantId !== merchantId) {
      throw new DomainError('validation_failed', `Program ${input.programId} is not a program of merchant ${merchantId}.`, {
        errors: [{ path: 'programId', message: "must be one of this merchant's programs" }],
      });
    }
    if (program.status === 'archived') {
      throw new DomainError('validation_failed', `Program ${input.programId} is archived and takes no new conversions.`, {
        errors: [{ path: 'programId', message: 'must not be archived' }],
      });
    }
    const merchant = await tx.merchant.update({
      where: { id: merchantId },
      data: { stripeWebhookSecret: input.signingSecret, stripeProgramId: input.programId },
    });
    await writeAudit(tx, actor, {
      action: before.stripeWebhookSecret ? 'merchant.stripe_integration_updated' : 'merchant.stripe_integration_set',
      subjectType: 'merchant',
      subjectId: merchantId,
      data: {
        programId: input.programId,
        previousProgramId: before.stripeProgramId,
        secretChanged: before.stripeWebhookSecret !== input.signingSecret,
      },
    });
    return toStripeIntegrationView(deps.publicUrl, merchant);
  });
}
