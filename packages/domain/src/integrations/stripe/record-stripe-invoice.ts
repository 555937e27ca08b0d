import type { Tx } from '@app/db/with-tenant';
import { recordConversion } from '../../conversions/record-conversion';
import { lockStripeRefs } from './lock-stripe-refs';
import { stripeCustomerRef } from './stripe-customer';
import { eventTime, type StripeEffect, type StripeEventContext } from './stripe-event-context';
import { distinctRefs, invoiceSchema, invoiceSubscription, invoiceSubscriptionMetadata, metadataString, parseStripeObject } from './stripe-objects';
import { programOfSubscription, stripeProgram } from './stripe-program';

/**
 * invoice.paid: a sale for the invoice's customer — a subscription's renewals earn the
 * affiliate the customer is bound to (by the checkout's lead) with no code on the
 * merchant's side. The program is the one the invoice or its subscription names, else
 * the one the subscription's checkout went to, else the configured one. The payment
 * that paid the invoice (for matching its refunds later) is on the invoice up to API
 * version 2024-x; since 2025-03-31 only the invoice_payment.paid event tells it.
 */
export async function recordStripeInvoice({ tx, merchant, event }: StripeEventContext): Promise<StripeEffect> {
  const invoice = parseStripeObject(invoiceSchema, event, 'an invoice');
  const statedPayment = invoice.payment_intent ?? invoice.charge;
  const link = { invoiceId: invoice.id, paymentRef: statedPayment };
  if (merchant.status !== 'active') return { ...link, outcome: 'ignored_merchant_suspended' };
  if (invoice.amount_paid === 0) return { ...link, outcome: 'ignored_zero_amount' };

  await lockStripeRefs(tx, merchant.id, distinctRefs(invoice.id, statedPayment));
  // Read under the invoice's lock: an invoice_payment.paid handled at the same time has
  // either committed its link by now or will find this sale.
  const paymentRef = statedPayment ?? (await linkedPayment(tx, merchant.id, invoice.id));
  if (paymentRef && paymentRef !== statedPayment) await lockStripeRefs(tx, merchant.id, [paymentRef]);

  const subscription = invoiceSubscription(invoice);
  const subscriptionMetadata = invoiceSubscriptionMetadata(invoice);
  const named =
    metadataString(invoice.metadata, 'program_id') ??
    metadataString(subscriptionMetadata, 'program_id') ??
    (subscription ? await programOfSubscription(tx, merchant.id, subscription) : null);
  const program = await stripeProgram(tx, merchant, named);
  if (program.status === 'archived') return { ...link, outcome: 'ignored_program_archived' };

  // A click id put on the subscription counts for its first invoice only: renewals are
  // the bound customer's (recurring), whatever cookie window a click would still have.
  const clickId =
    invoice.billing_reason === 'subscription_create'
      ? (metadataString(invoice.metadata, 'aff_click_id') ??
        metadataString(subscriptionMetadata, 'aff_click_id') ??
        metadataString(subscriptionMetadata, 'click_id'))
      : null;
  const customer = await stripeCustomerRef(tx, merchant, invoice.customer, invoice.customer_email ?? null);
  const paidAt = invoice.status_transitions?.paid_at;
  const { conversion, created } = await recordConversion(
    tx,
    program,
    {
      type: 'sale',
      externalId: invoice.id,
      amount: BigInt(invoice.amount_paid),
      currency: invoice.currency,
      clickId,
      customer,
      paymentRef,
      occurredAt: paidAt ? new Date(paidAt * 1000) : eventTime(event),
      metadata: { subscription, ...(invoice.billing_reason ? { billingReason: invoice.billing_reason } : {}) },
      source: 'stripe',
    },
    { storeEmail: merchant.storeCustomerEmails },
  );
  return { ...link, outcome: created ? 'sale_recorded' : 'conversion_exists', conversionId: conversion.id };
}

/** The payment an earlier invoice_payment.paid event said paid this invoice. */
async function linkedPayment(tx: Tx, merchantId: string, invoiceId: string): Promise<string | null> {
  const linked = await tx.stripeEvent.findFirst({
    where: { merchantId, invoiceId, paymentRef: { not: null } },
    orderBy: { eventCreated: 'asc' },
    select: { paymentRef: true },
  });
  return linked?.paymentRef ?? null;
}
