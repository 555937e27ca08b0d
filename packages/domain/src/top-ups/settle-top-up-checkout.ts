import { isId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { checkoutSessionSchema, metadataString, parseStripeObject, type StripeEvent } from '../integrations/stripe/stripe-objects';
import { systemActor } from '../shared/actor';
import { creditTopUp } from './credit-top-up';

/** What a checkout event of the network's Stripe account did to a top-up. */
export type TopUpEventOutcome =
  | 'credited'
  | 'already_paid'
  | 'expired'
  | 'failed'
  | 'ignored'
  | 'ignored_unpaid'
  | 'ignored_not_a_top_up'
  | 'ignored_not_pending'
  | 'refused_amount_mismatch'
  | 'refused_session_mismatch';

export interface TopUpEventEffect {
  outcome: TopUpEventOutcome;
  topUpId?: string | null;
  /** What the session said it charged (kept with the event). */
  amount?: bigint | null;
  currency?: string | null;
  transferId?: string;
}

/**
 * A checkout event of the network's own Stripe account, in the network's transaction.
 * The top-up is found by `client_reference_id` (else `metadata.topUpId`) and locked; the
 * event must be about the very session the top-up opened, for the same merchant.
 *
 * - completed / async_payment_succeeded with payment_status `paid`: credits the top-up
 *   (transfer, status paid, low-balance check, `commissions.resume`) unless it is paid
 *   already — but only when the session's amount_total and currency are exactly the
 *   top-up's; otherwise nothing is credited and the refusal is audited for staff to look
 *   at. A session still unpaid (a delayed method) waits for async_payment_succeeded.
 * - expired / async_payment_failed: a pending top-up becomes expired / failed.
 *
 * Sessions that are not top-ups (the network's account may sell other things) are
 * ignored.
 */
export async function settleTopUpCheckout(tx: Tx, tenantId: string, event: StripeEvent): Promise<TopUpEventEffect> {
  const session = parseStripeObject(checkoutSessionSchema, event, 'a Checkout Session');
  const charged = { amount: session.amount_total == null ? null : BigInt(session.amount_total), currency: session.currency ?? null };
  const topUpId = session.client_reference_id?.trim() || metadataString(session.metadata, 'topUpId');
  if (!topUpId || !isId('topUp', topUpId)) return { outcome: 'ignored_not_a_top_up', ...charged };

  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM top_ups WHERE id = ${topUpId} AND tenant_id = ${tenantId} FOR UPDATE`;
  if (locked.length === 0) return { outcome: 'ignored_not_a_top_up', ...charged };
  const topUp = await tx.topUp.findUniqueOrThrow({ where: { id: topUpId } });
  const effect = (outcome: TopUpEventOutcome): TopUpEventEffect => ({ outcome, topUpId, ...charged });
  const refuse = async (outcome: 'refused_amount_mismatch' | 'refused_session_mismatch') => {
    await writeAudit(tx, systemActor(tenantId), {
      action: outcome === 'refused_amount_mismatch' ? 'top_up.payment_amount_mismatch' : 'top_up.payment_session_mismatch',
      subjectType: 'merchant',
      subjectId: topUp.merchantId,
      data: {
        topUpId,
        eventId: event.id,
        eventType: event.type,
        sessionId: session.id,
        expected: { sessionId: topUp.stripeSessionId, amount: Number(topUp.amount), currency: topUp.currency },
        received: { amount: session.amount_total ?? null, currency: charged.currency },
      },
    });
    return effect(outcome);
  };

  const merchantInMetadata = metadataString(session.metadata, 'merchantId');
  if (topUp.method !== 'stripe' || topUp.stripeSessionId !== session.id || (merchantInMetadata !== null && merchantInMetadata !== topUp.merchantId)) {
    return refuse('refused_session_mismatch');
  }

  switch (event.type) {
    case 'checkout.session.expired':
    case 'checkout.session.async_payment_failed': {
      if (topUp.status !== 'pending') return effect('ignored_not_pending');
      const status = event.type === 'checkout.session.expired' ? 'expired' : 'failed';
      await tx.topUp.update({ where: { id: topUpId }, data: { status } });
      return effect(status);
    }
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      if (topUp.status === 'paid') return effect('already_paid');
      if (session.payment_status !== 'paid') return effect('ignored_unpaid');
      if (charged.amount !== topUp.amount || charged.currency !== topUp.currency) return refuse('refused_amount_mismatch');
      // Money Stripe says it took is credited even to a top-up marked expired or failed.
      const transfer = await creditTopUp(tx, tenantId, {
        topUpId,
        merchantId: topUp.merchantId,
        amount: topUp.amount,
        currency: topUp.currency,
        method: 'stripe',
        userData: { stripeSessionId: session.id, stripePaymentIntent: session.payment_intent, stripeEventId: event.id },
      });
      await tx.topUp.update({
        where: { id: topUpId },
        data: { status: 'paid', transferId: transfer.id, paidAt: transfer.createdAt, stripePaymentIntent: session.payment_intent },
      });
      await writeAudit(tx, systemActor(tenantId), {
        action: 'top_up.stripe_paid',
        subjectType: 'merchant',
        subjectId: topUp.merchantId,
        data: { topUpId, amount: Number(topUp.amount), currency: topUp.currency, sessionId: session.id, eventId: event.id, transferId: transfer.id },
      });
      return { ...effect('credited'), transferId: transfer.id };
    }
    default:
      return effect('ignored');
  }
}
