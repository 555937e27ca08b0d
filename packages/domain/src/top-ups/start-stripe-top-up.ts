import type { Merchant, TopUp } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { createTopUpCheckoutSession, type StripeApiOptions } from '../network-stripe/network-stripe-client';
import type { Actor } from '../shared/actor';
import { DomainError } from '../shared/errors';

/**
 * Opens a Checkout Session for a top-up in the network's own Stripe account and stores
 * the top-up as pending with the session's id and URL. The merchant pays there; the
 * network's webhook credits the balance when Stripe confirms the payment.
 */
export async function startStripeTopUp(
  tx: Tx,
  publicUrl: string,
  actor: Actor,
  merchant: Pick<Merchant, 'id' | 'name'>,
  input: { amount: bigint; currency: string },
  stripeApi: StripeApiOptions,
): Promise<TopUp> {
  const account = await tx.networkStripeAccount.findUnique({ where: { tenantId: actor.tenantId }, select: { secretKey: true } });
  if (!account) {
    throw new DomainError(
      'invalid_state',
      'The network has not connected its Stripe account, so it cannot take card payments yet. Ask the network to connect it, or to credit a bank transfer by hand.',
    );
  }
  const id = newId('topUp');
  const page = `${publicUrl}/merchants/${encodeURIComponent(merchant.id)}/top-ups/${id}`;
  const session = await createTopUpCheckoutSession(
    account.secretKey,
    {
      topUpId: id,
      tenantId: actor.tenantId,
      merchantId: merchant.id,
      merchantName: merchant.name,
      amount: input.amount,
      currency: input.currency,
      successUrl: `${page}?checkout=success`,
      cancelUrl: `${page}?checkout=cancelled`,
    },
    stripeApi,
  );
  return tx.topUp.create({
    data: {
      id,
      tenantId: actor.tenantId,
      merchantId: merchant.id,
      method: 'stripe',
      amount: input.amount,
      currency: input.currency,
      status: 'pending',
      createdByType: actor.type,
      createdById: actor.type === 'user' ? actor.userId : actor.type === 'api_key' ? actor.keyId : null,
      stripeSessionId: session.id,
      checkoutUrl: session.url,
    },
  });
}
