import { z } from 'zod';
import { currencyCode } from './common';
import { conversionStatus, MAX_CONVERSION_AMOUNT } from './conversions';

/**
 * Signed CPA-network postbacks (GET|POST /postback). Every parameter arrives as a string
 * (query string or form body); the signature covers all of them but `sig`, so the schema
 * below only reads what it knows and lets signed extra parameters through unread.
 */

/** The parameters the platform reads; any other signed parameter is accepted and ignored. */
export const POSTBACK_PARAM_NAMES = ['program_id', 'external_id', 'type', 'amount', 'currency', 'click_id', 'coupon', 'status', 'ts', 'sig'] as const;

/** Most parameters one postback may carry (known and extra ones together). */
export const MAX_POSTBACK_PARAMS = 50;

const minorUnits = z
  .string()
  .regex(/^\d{1,13}$/, 'must be a whole number of minor units, digits only (no sign, decimals or separators)')
  .transform((v) => BigInt(v))
  .refine((v) => v <= BigInt(MAX_CONVERSION_AMOUNT), { message: `must be at most ${MAX_CONVERSION_AMOUNT} minor units` });

export const postbackParams = z
  .object({
    program_id: z.string().min(1).max(200),
    external_id: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    type: z.enum(['sale', 'lead']).default('sale'),
    amount: minorUnits.optional(),
    currency: currencyCode.optional(),
    click_id: z.string().min(1).max(200).optional(),
    coupon: z.string().trim().min(1).max(64).optional(),
    status: z.enum(['approved', 'refunded', 'cancelled']).default('approved'),
    ts: z.string().regex(/^\d{1,12}$/, 'must be a unix time in whole seconds'),
    sig: z.string(),
  })
  .superRefine((p, ctx) => {
    if (p.status === 'approved' && p.type === 'sale' && p.amount === undefined) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'a sale needs an amount in minor units' });
    }
    if (p.status !== 'approved' && p.amount === 0n) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'a partial refund must be at least 1 minor unit; leave amount out to refund all' });
    }
  });

export type PostbackParams = z.output<typeof postbackParams>;

export const postbackRecorded = z.object({
  id: z.string().describe('the conversion'),
  status: conversionStatus,
  duplicate: z.boolean().describe('true when the program already had a conversion with this external_id (nothing changed)'),
});

export const postbackRefunded = z.object({
  id: z.string().describe('the conversion'),
  status: conversionStatus,
  refundedAmount: z.number().int().describe("all refunded so far, in the program's currency"),
  refundId: z.string(),
});

export const postbackWaiting = z.object({
  status: z.literal('waiting').describe('no sale with this external_id yet: the refund applies when it arrives'),
  refundId: z.string(),
});

export const postbackSecretSchema = z.object({
  programId: z.string(),
  secret: z.string().describe('HMAC-SHA256 key of the signed postbacks (64 hex characters)'),
  example: z.object({
    url: z.string().describe('a signed GET postback for a sale, valid for 300 s from now'),
    canonical: z.string().describe('the string the example signature is computed over'),
  }),
});
