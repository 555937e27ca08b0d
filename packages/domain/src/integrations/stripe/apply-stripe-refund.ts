import type { Conversion } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { applyRefund } from '../../conversions/apply-refund';
import { findStripeSale } from './find-stripe-sale';
import { lockStripeRefs } from './lock-stripe-refs';
import type { StripeEffect, StripeEventContext } from './stripe-event-context';
import { type Charge, chargeSchema, distinctRefs, parseStripeObject } from './stripe-objects';
import { raisedWaitingAmount, stripeRefundStep } from './stripe-refund-step';

/**
 * charge.refunded: brings the refunded amount of the sale the charge paid (found by its
 * invoice or payment intent) up to the charge's running total — so a repeated, late or
 * out-of-order event takes back nothing twice and never undoes a newer one. When the
 * sale has not arrived yet, the total waits under the invoice (or payment intent) for
 * `recordConversion` to apply it; a later event raises that waiting total instead of
 * adding a second refund.
 */
export async function applyStripeRefund({ tx, merchant, event }: StripeEventContext): Promise<StripeEffect> {
  const charge = parseStripeObject(chargeSchema, event, 'a charge');
  const link = { invoiceId: charge.invoice, paymentRef: charge.payment_intent ?? charge.id };
  const cumulative = BigInt(charge.amount_refunded);
  if (cumulative === 0n) return { ...link, outcome: 'ignored_zero_amount' };
  const full = charge.refunded === true || charge.amount_refunded >= charge.amount;

  const refs = distinctRefs(charge.invoice, charge.payment_intent, charge.id);
  await lockStripeRefs(tx, merchant.id, refs);
  const sale = await findStripeSale(tx, merchant.id, refs);
  if (!sale) {
    await waitForSale(tx, merchant, charge, refs, full ? null : cumulative);
    return { ...link, outcome: 'refund_waiting' };
  }

  const saleCurrency = sale.originalCurrency ?? sale.currency;
  if (charge.currency !== saleCurrency) return { ...link, outcome: 'ignored_currency_mismatch', conversionId: sale.id };
  if (sale.status === 'refunded') return { ...link, outcome: 'ignored_already_refunded', conversionId: sale.id };
  const step = stripeRefundStep({
    saleAmount: (sale.originalAmount ?? sale.amount) as bigint,
    alreadyRefunded: await refundedInSaleCurrency(tx, sale),
    cumulative,
    chargeFullyRefunded: full,
  });
  if (step.kind === 'none') return { ...link, outcome: 'ignored_already_refunded', conversionId: sale.id };
  await applyRefund(tx, sale.id, {
    amount: step.kind === 'full' ? null : step.amount,
    reason: `Stripe charge ${charge.id} refunded`,
    source: 'stripe',
    strict: false,
  });
  return { ...link, outcome: 'refund_applied', conversionId: sale.id };
}

/**
 * What the sale's refunds took back, in the currency the sale came in: its refunded
 * amount, or — for a sale converted from another currency — the sum of its refunds'
 * amounts, which are kept in that currency (converting the refunded amount back would
 * round). A refund without amount refunded the whole sale, which is caught before.
 */
async function refundedInSaleCurrency(tx: Tx, sale: Conversion): Promise<bigint> {
  if (!sale.originalCurrency) return sale.refundedAmount;
  const refunds = await tx.conversionRefund.findMany({ where: { conversionId: sale.id, status: 'applied' }, select: { amount: true } });
  return refunds.reduce((sum, r) => sum + (r.amount ?? 0n), 0n);
}

async function waitForSale(tx: Tx, merchant: StripeEventContext['merchant'], charge: Charge, refs: string[], amount: bigint | null): Promise<void> {
  const waiting = await tx.conversionRefund.findFirst({
    where: { merchantId: merchant.id, status: 'waiting', source: 'stripe', externalRef: { in: refs } },
    orderBy: { id: 'asc' },
  });
  if (waiting) {
    const raised = raisedWaitingAmount(waiting.amount, amount);
    if (raised !== waiting.amount) await tx.conversionRefund.update({ where: { id: waiting.id }, data: { amount: raised } });
    return;
  }
  await tx.conversionRefund.create({
    data: {
      id: newId('refund'),
      tenantId: merchant.tenantId,
      merchantId: merchant.id,
      // The sale's external id or payment reference once it arrives (see applyWaitingRefunds).
      externalRef: charge.invoice ?? charge.payment_intent ?? charge.id,
      amount,
      reason: `Stripe charge ${charge.id} refunded`,
      source: 'stripe',
      status: 'waiting',
    },
  });
}
