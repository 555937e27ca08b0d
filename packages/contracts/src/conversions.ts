import { z } from 'zod';
import { currencyCode, email, listQuery, timestamp } from './common';

/** Largest amount accepted: 10^12 minor units (10 billion in a 2-decimal currency). */
export const MAX_CONVERSION_AMOUNT = 1_000_000_000_000;

const amount = z
  .number({
    error: (i) =>
      typeof i.input === 'string' ? 'must be an integer amount in minor units as a JSON number, not a string' : 'must be an integer amount in minor units',
  })
  .int({ error: 'must be a whole number of minor units (no decimals)' })
  .min(0, { error: 'must not be negative' })
  .max(MAX_CONVERSION_AMOUNT, { error: `must be at most ${MAX_CONVERSION_AMOUNT} minor units` });

export const conversionType = z.enum(['lead', 'sale']);
export const conversionStatus = z.enum(['received', 'attributed', 'unattributed', 'refunded', 'rejected']);

export const conversionItem = z
  .object({
    sku: z.string().trim().min(1).max(100),
    category: z.string().trim().min(1).max(100).optional(),
    amount: amount.describe('unit price in minor units of the conversion currency'),
    quantity: z.number().int().min(1).max(100_000),
  })
  .strict();

export const customerInput = z
  .object({
    externalId: z.string().trim().min(1).max(200).optional().describe("the merchant's id for the customer"),
    email: email.optional().describe('stored hashed (in clear only if the merchant opted in)'),
  })
  .strict()
  .refine((c) => c.externalId !== undefined || c.email !== undefined, { message: 'give externalId, email or both' });

const metadata = z
  .record(z.string().max(100), z.unknown())
  .refine((m) => Object.keys(m).length <= 50, { message: 'at most 50 keys' })
  .refine((m) => JSON.stringify(m).length <= 8_192, { message: 'at most 8 KiB once serialised' });

export const createConversionBody = z
  .object({
    programId: z.string().min(1).max(200),
    type: conversionType,
    externalId: z.string().trim().min(1).max(200).describe('order or lead id; unique per program (a repeat returns the existing conversion)'),
    amount: amount.optional().describe('required for sales: minor units'),
    currency: currencyCode.optional().describe("default: the program's currency; another one is converted at the network's FX rate"),
    clickId: z.string().min(1).max(200).optional(),
    couponCode: z.string().trim().min(1).max(64).optional(),
    customer: customerInput.optional(),
    items: z.array(conversionItem).max(200).optional(),
    occurredAt: timestamp.optional().describe('default: now; at most 5 minutes ahead'),
    metadata: metadata.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.type === 'sale' && body.amount === undefined) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'a sale needs an amount in minor units' });
    if (body.occurredAt && Date.parse(body.occurredAt) > Date.now() + 5 * 60_000) {
      ctx.addIssue({ code: 'custom', path: ['occurredAt'], message: 'must not be more than 5 minutes in the future' });
    }
  });

export const conversionAccepted = z.object({ id: z.string(), status: conversionStatus });

export const refundBody = z
  .object({
    amount: z
      .number({ error: 'must be an integer amount in minor units' })
      .int({ error: 'must be a whole number of minor units (no decimals)' })
      .min(1, { error: 'must be at least 1' })
      .max(MAX_CONVERSION_AMOUNT)
      .optional()
      .describe('in the currency the sale came in; default: all that remains'),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .nullish();

const subs = z.object({
  sub1: z.string().nullable(),
  sub2: z.string().nullable(),
  sub3: z.string().nullable(),
  sub4: z.string().nullable(),
  sub5: z.string().nullable(),
});

const conversionBase = {
  id: z.string(),
  merchantId: z.string(),
  programId: z.string(),
  type: conversionType,
  externalId: z.string(),
  status: conversionStatus,
  source: z.enum(['api', 'postback', 'tracker', 'stripe']),
  trust: z.enum(['server', 'browser']).describe('browser: reported by the tracker, forgeable'),
  amount: z.number().int().nullable(),
  currency: z.string().nullable(),
  refundedAmount: z.number().int(),
  originalAmount: z.number().int().nullable(),
  originalCurrency: z.string().nullable(),
  fxRate: z.string().nullable(),
  clickId: z.string().nullable(),
  items: z.array(z.object({ sku: z.string(), category: z.string().optional(), amount: z.number().int(), quantity: z.number().int() })),
  occurredAt: z.string(),
  affiliateId: z.string().nullable(),
  linkId: z.string().nullable(),
  attributedClickId: z.string().nullable(),
  attributionReason: z.string().nullable(),
  unattributedReason: z.string().nullable(),
  recurring: z.boolean(),
  subs,
  attributedAt: z.string().nullable(),
  createdAt: z.string(),
};

export const conversionSchema = z.object({
  ...conversionBase,
  couponCode: z.string().nullable().optional(),
  customer: z.object({ id: z.string(), externalId: z.string().nullable(), email: z.string().nullable() }).nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  signals: z.array(z.string()).optional().describe('self-referral signals for fraud checks (merchants and network staff only)'),
});

export const refundSchema = z.object({
  id: z.string(),
  conversionId: z.string().nullable(),
  amount: z.number().int().nullable().describe('as requested, in the currency the sale came in (null: all that remained)'),
  appliedAmount: z.number().int().nullable().describe("taken back, in the program's currency"),
  status: z.enum(['waiting', 'applied']),
  reason: z.string().nullable(),
  source: z.string(),
  createdAt: z.string(),
  conversion: z.object({ id: z.string(), status: conversionStatus, refundedAmount: z.number().int() }).nullable(),
});

export const conversionListQuery = listQuery
  .extend({
    programId: z.string().max(200).optional(),
    affiliateId: z.string().max(200).optional(),
    status: conversionStatus.optional(),
    type: conversionType.optional(),
    externalId: z.string().max(200).optional(),
    from: timestamp.optional().describe('occurredAt at or after'),
    to: timestamp.optional().describe('occurredAt before'),
  })
  .strict();

export const idempotencyHeaders = z
  .object({ 'idempotency-key': z.string().min(1).max(255).optional().describe('same key + same body → same answer; same key + other body → 409') })
  .passthrough();
