import { z } from 'zod';
import { currencyCode, listQuery } from './common';
import { stripeSigningSecret } from './stripe';

/**
 * Largest top-up: 10^11 minor units (a billion in a two-decimal currency). Stripe
 * Checkout takes at most 99,999,999 minor units on a line item; a Stripe top-up above
 * that is refused here rather than by Stripe.
 */
export const MAX_TOP_UP_AMOUNT = 100_000_000_000;
export const MAX_STRIPE_TOP_UP_AMOUNT = 99_999_999;

const amount = (max: number) =>
  z
    .number({
      error: (i) =>
        typeof i.input === 'string' ? 'must be an integer amount in minor units as a JSON number, not a string' : 'must be an integer amount in minor units',
    })
    .int({ error: 'must be a whole number of minor units (no decimals)' })
    .min(1, { error: 'must be at least 1 minor unit' })
    .max(max, { error: `must be at most ${max} minor units` });

export const topUpMethod = z.enum(['stripe', 'manual']);
export const topUpStatus = z.enum(['pending', 'paid', 'expired', 'failed']);

export const createTopUpBody = z.discriminatedUnion('method', [
  z
    .object({
      method: z.literal('stripe'),
      amount: amount(MAX_STRIPE_TOP_UP_AMOUNT).describe('minor units; at most 99,999,999 (Stripe Checkout)'),
      currency: currencyCode,
    })
    .strict()
    .describe('a payment through Stripe Checkout in the network’s Stripe account (merchant or network owner/admin/finance)'),
  z
    .object({
      method: z.literal('manual'),
      amount: amount(MAX_TOP_UP_AMOUNT).describe('minor units'),
      currency: currencyCode,
      reason: z.string().trim().min(1, { error: 'say why the balance is credited (e.g. the bank transfer)' }).max(500),
    })
    .strict()
    .describe('a credit by network owner/admin/finance for money received another way (audited)'),
]);

export const topUpSchema = z.object({
  id: z.string(),
  merchantId: z.string(),
  method: topUpMethod,
  amount: z.number().int(),
  currency: z.string(),
  status: topUpStatus,
  reason: z.string().nullable(),
  checkoutUrl: z.string().nullable().describe('Stripe Checkout page to pay at, while the top-up is pending'),
  transferId: z.string().nullable().describe('the ledger transfer that credited it, once paid'),
  createdAt: z.string(),
  paidAt: z.string().nullable(),
});

export const topUpListQuery = listQuery.extend({ status: topUpStatus.optional() }).strict();
export const topUpParams = z.object({ id: z.string().min(1).max(200), topUpId: z.string().min(1).max(200) }).strict();

export const lowBalanceThresholdBody = z
  .object({
    currency: currencyCode,
    amount: z
      .number({ error: 'must be an integer amount in minor units' })
      .int({ error: 'must be a whole number of minor units (no decimals)' })
      .min(0, { error: 'must not be negative' })
      .max(MAX_TOP_UP_AMOUNT, { error: `must be at most ${MAX_TOP_UP_AMOUNT} minor units` })
      .describe('balance.low is sent once when the available prepaid balance falls below this'),
  })
  .strict();

export const lowBalanceThresholdSchema = z.object({
  merchantId: z.string(),
  currency: z.string(),
  amount: z.number().int(),
  available: z.number().int().describe('the prepaid balance available now'),
  notified: z.boolean().describe('balance.low was sent and the balance has not been back at or above the threshold since'),
  notifiedAt: z.string().nullable(),
  updatedAt: z.string(),
});

/** A Stripe secret or restricted API key (`sk_test_…`, `sk_live_…`, `rk_…`). */
export const stripeSecretKey = z
  .string()
  .trim()
  .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,250}$/, 'must be a secret (sk_…) or restricted (rk_…) API key of the network’s Stripe account')
  .describe('stored, never shown again');

export const networkStripeBody = z
  .object({
    secretKey: stripeSecretKey,
    webhookSecret: stripeSigningSecret,
  })
  .strict();

export const networkStripeSchema = z.object({
  configured: z.boolean(),
  mode: z.enum(['test', 'live']).nullable().describe('from the saved key'),
  webhookUrl: z.string().describe('the URL to enter as the webhook endpoint in the network’s Stripe dashboard'),
  events: z.array(z.string()).describe('the events to send to it'),
  updatedAt: z.string().nullable(),
});

export const networkStripeWebhookParams = z.object({ tenant: z.string().min(1).max(200) }).strict();

export const networkStripeOutcome = z.enum([
  'credited',
  'already_paid',
  'expired',
  'failed',
  'ignored',
  'ignored_unpaid',
  'ignored_not_a_top_up',
  'ignored_not_pending',
  'refused_amount_mismatch',
  'refused_session_mismatch',
]);

export const networkStripeWebhookAnswer = z.object({
  received: z.literal(true),
  duplicate: z.literal(true).optional().describe('the event id was handled before; nothing was done again'),
  outcome: networkStripeOutcome,
  topUpId: z.string().optional(),
});
