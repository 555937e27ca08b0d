import { z } from 'zod';
import { listQuery, timestamp } from './common';

export const commissionKind = z.enum(['primary', 'bonus', 'second_tier', 'network_fee']);
export const commissionStatus = z.enum(['pending', 'awaiting_funds', 'approved', 'rejected', 'reversed', 'paid']);

const filterId = z.string().min(1).max(200);

export const commissionListQuery = listQuery
  .extend({
    status: commissionStatus.optional(),
    kind: commissionKind.optional(),
    programId: filterId.optional(),
    affiliateId: filterId.optional().describe('the beneficiary'),
    conversionId: filterId.optional(),
    from: timestamp.optional().describe('created at or after'),
    to: timestamp.optional().describe('created before'),
  })
  .strict();

/**
 * A commission line. Merchants and network staff see every line of a conversion
 * (network_fee: the network's fee the merchant is charged, no affiliate) with the
 * engine's figures; an affiliate sees only its own lines, with status and reason.
 */
export const commissionSchema = z.object({
  id: z.string(),
  conversionId: z.string(),
  programId: z.string(),
  merchantId: z.string().optional(),
  affiliateId: z.string().nullable().describe('who earns it; null for the network fee'),
  sourceAffiliateId: z.string().optional().describe('the affiliate the conversion is attributed to'),
  kind: commissionKind,
  label: z.string().describe('what the line is, in words (e.g. "Network fee")'),
  amount: z.number().int().describe('minor units of `currency`'),
  currency: z.string(),
  status: commissionStatus,
  reason: z.string().nullable().describe('why it waits, was rejected or reversed'),
  rateBps: z.number().int().nullable().optional(),
  basis: z.number().int().optional().describe('the amount the rate applied to'),
  holdUntil: timestamp,
  createdAt: timestamp,
  updatedAt: timestamp,
});
