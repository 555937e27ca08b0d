import { applyWaitingRefunds } from '../../conversions/apply-refund';
import { findStripeSale } from './find-stripe-sale';
import { lockStripeRefs } from './lock-stripe-refs';
import type { StripeEffect, StripeEventContext } from './stripe-event-context';
import { invoicePaymentSchema, parseStripeObject } from './stripe-objects';

/**
 * invoice_payment.paid (API version 2025-03-31 and later, where neither an invoice nor
 * a charge names the other): which payment intent (or charge) paid which invoice. The
 * link is kept with the event; an invoice's sale already stored gets it as its payment
 * reference, and refunds of that payment that were waiting for it apply now. A sale
 * stored later reads the link from the event.
 */
export async function linkStripeInvoicePayment({ tx, merchant, event }: StripeEventContext): Promise<StripeEffect> {
  const payment = parseStripeObject(invoicePaymentSchema, event, 'an invoice payment');
  const invoiceId = payment.invoice;
  const paymentRef = payment.payment?.payment_intent ?? payment.payment?.charge ?? null;
  if (!invoiceId || !paymentRef) return { outcome: 'ignored' };

  await lockStripeRefs(tx, merchant.id, [invoiceId, paymentRef]);
  const sale = await findStripeSale(tx, merchant.id, [invoiceId]);
  if (!sale || sale.externalId !== invoiceId) return { outcome: 'payment_linked', invoiceId, paymentRef };
  if (!sale.paymentRef) {
    const linked = await tx.conversion.update({ where: { id: sale.id }, data: { paymentRef } });
    await applyWaitingRefunds(tx, linked);
  }
  return { outcome: 'payment_linked', invoiceId, paymentRef, conversionId: sale.id };
}
