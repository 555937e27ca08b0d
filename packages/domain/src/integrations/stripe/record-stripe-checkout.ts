import { recordConversion } from '../../conversions/record-conversion';
import { lockStripeRefs } from './lock-stripe-refs';
import { stripeCustomerRef } from './stripe-customer';
import { eventTime, type StripeEffect, type StripeEventContext } from './stripe-event-context';
import { checkoutClickId, checkoutSessionSchema, distinctRefs, metadataString, parseStripeObject } from './stripe-objects';
import { stripeProgram } from './stripe-program';

/**
 * checkout.session.completed (and checkout.session.async_payment_succeeded, when a
 * delayed payment method clears): a one-off payment is a sale, a subscription's checkout
 * a lead — the sign-up whose attribution binds the Stripe customer to the affiliate, so
 * that the subscription's invoices earn recurring commissions. The tracker's click id is
 * read from client_reference_id (else metadata.aff_click_id / click_id).
 */
export async function recordStripeCheckout({ tx, merchant, event }: StripeEventContext): Promise<StripeEffect> {
  const session = parseStripeObject(checkoutSessionSchema, event, 'a Checkout Session');
  if (session.mode !== 'payment' && session.mode !== 'subscription') return { outcome: 'ignored' };
  // Paid later by a delayed method (bank debit): async_payment_succeeded follows.
  if (session.mode === 'payment' && session.payment_status === 'unpaid') return { outcome: 'ignored_unpaid' };
  if (merchant.status !== 'active') return { outcome: 'ignored_merchant_suspended' };
  if (session.mode === 'payment' && !session.amount_total) return { outcome: 'ignored_zero_amount' };

  const program = await stripeProgram(tx, merchant, metadataString(session.metadata, 'program_id'));
  if (program.status === 'archived') return { outcome: 'ignored_program_archived' };
  const email = session.customer_details?.email ?? session.customer_email ?? null;
  const paymentIntent = session.mode === 'payment' ? session.payment_intent : null;
  await lockStripeRefs(tx, merchant.id, distinctRefs(paymentIntent, session.id));
  const customer = await stripeCustomerRef(tx, merchant, session.customer, email);
  const common = { clickId: checkoutClickId(session), customer, occurredAt: eventTime(event), source: 'stripe' as const };
  const options = { storeEmail: merchant.storeCustomerEmails };

  if (session.mode === 'payment') {
    const { conversion, created } = await recordConversion(
      tx,
      program,
      {
        ...common,
        type: 'sale',
        externalId: paymentIntent ?? session.id,
        amount: BigInt(session.amount_total as number),
        currency: session.currency ?? null,
        paymentRef: paymentIntent,
        metadata: { checkoutSession: session.id },
      },
      options,
    );
    return { outcome: created ? 'sale_recorded' : 'conversion_exists', conversionId: conversion.id };
  }

  const { conversion, created } = await recordConversion(
    tx,
    program,
    { ...common, type: 'lead', externalId: session.id, metadata: { checkoutSession: session.id, subscription: session.subscription } },
    options,
  );
  return { outcome: created ? 'lead_recorded' : 'conversion_exists', conversionId: conversion.id };
}
