import type { StripeWebhookAnswer } from '@app/contracts/stripe';
import { withTenant } from '@app/db/with-tenant';
import type { Deps } from '../../shared/deps';
import { DomainError } from '../../shared/errors';
import { applyStripeRefund } from './apply-stripe-refund';
import { linkStripeInvoicePayment } from './link-stripe-invoice-payment';
import { recordStripeCheckout } from './record-stripe-checkout';
import { recordStripeInvoice } from './record-stripe-invoice';
import { eventTime, type StripeEffect, type StripeEventContext, type StripeMerchant } from './stripe-event-context';
import { parseStripeEvent } from './stripe-objects';
import { verifyStripeSignature } from './stripe-signature';

interface MerchantForStripe {
  tenant_id: string;
  stripe_webhook_secret: string | null;
  stripe_program_id: string | null;
  status: string;
}

/** The Stripe events the webhook acts on; any other is recorded as ignored. */
export const STRIPE_EVENT_HANDLERS: ReadonlyMap<string, (ctx: StripeEventContext) => Promise<StripeEffect>> = new Map([
  ['checkout.session.completed', recordStripeCheckout],
  ['checkout.session.async_payment_succeeded', recordStripeCheckout],
  ['invoice.paid', recordStripeInvoice],
  ['invoice_payment.paid', linkStripeInvoicePayment],
  ['charge.refunded', applyStripeRefund],
]);

/**
 * A merchant's own Stripe account reports an event. Checks, in order: the merchant has
 * a signing secret (else 404, the same for an unknown merchant), the signature over the
 * raw body and its time, then the event's shape. Handling runs in one transaction with
 * the row that marks the event id as seen for this merchant: a failure stores nothing
 * (Stripe retries), a repeat finds the row and does nothing.
 */
export async function receiveStripeWebhook(
  deps: Deps,
  merchantId: string,
  rawBody: string | Uint8Array,
  signatureHeader: string | undefined,
  options: { now?: number } = {},
): Promise<StripeWebhookAnswer> {
  const [row] = await deps.prisma.$queryRaw<MerchantForStripe[]>`
    SELECT tenant_id, stripe_webhook_secret, stripe_program_id, status FROM merchant_for_stripe(${merchantId})`;
  const secret = row?.stripe_webhook_secret;
  const stripeProgramId = row?.stripe_program_id;
  if (!row || !secret || !stripeProgramId) {
    throw new DomainError('not_found', `No Stripe webhook is set up for merchant ${merchantId}.`, { id: merchantId });
  }
  const event = parseStripeEvent(verifyStripeSignature(rawBody, signatureHeader, secret, options.now));

  return withTenant(deps.prisma, row.tenant_id, async (tx) => {
    // Deliveries of one event (Stripe retries while a slow first one still runs) queue
    // here; the second then finds the first's row.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${merchantId}), hashtext(${`stripe-event:${event.id}`}))`;
    const seen = await tx.stripeEvent.findUnique({ where: { merchantId_eventId: { merchantId, eventId: event.id } }, select: { outcome: true } });
    if (seen) return { received: true, duplicate: true, outcome: seen.outcome as StripeWebhookAnswer['outcome'] };

    const settings = await tx.merchant.findUniqueOrThrow({ where: { id: merchantId }, select: { storeCustomerEmails: true } });
    const merchant: StripeMerchant = {
      id: merchantId,
      tenantId: row.tenant_id,
      status: row.status,
      stripeProgramId,
      storeCustomerEmails: settings.storeCustomerEmails,
    };
    const handler = STRIPE_EVENT_HANDLERS.get(event.type);
    const effect: StripeEffect = handler ? await handler({ tx, merchant, event }) : { outcome: 'ignored' };
    await tx.stripeEvent.create({
      data: {
        tenantId: row.tenant_id,
        merchantId,
        eventId: event.id,
        type: event.type,
        eventCreated: eventTime(event),
        outcome: effect.outcome,
        invoiceId: effect.invoiceId ?? null,
        paymentRef: effect.paymentRef ?? null,
      },
    });
    return { received: true, outcome: effect.outcome, ...(effect.conversionId ? { conversionId: effect.conversionId } : {}) };
  });
}
