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

/* Approval and rejection (POST /v1/commissions/approve | /reject). */

const MAX_DECISIONS = 1000;
const commissionId = z.string().min(1).max(200);
const decisionReason = z.string().trim().min(1).max(1000);
const byIds = { ids: z.array(commissionId).min(1).max(MAX_DECISIONS).describe(`commission ids, at most ${MAX_DECISIONS}`) };
const byExternalIds = {
  programId: z.string().min(1).max(200),
  externalIds: z.array(z.string().min(1).max(200)).min(1).max(MAX_DECISIONS).describe(`the program's conversion externalIds, at most ${MAX_DECISIONS}`),
};
/** A CSV upload (Content-Type: text/csv): a header row naming externalId and optionally programId and reason. */
const csvUpload = z.string().min(1).max(1_000_000).describe('text/csv: header row with externalId and optionally programId, reason');

export const approveCommissionsBody = z.union([z.object(byIds).strict(), z.object(byExternalIds).strict(), csvUpload]);
export const rejectCommissionsBody = z.union([
  z.object({ ...byIds, reason: decisionReason.describe('shown to the affiliate') }).strict(),
  z.object({ ...byExternalIds, reason: decisionReason.describe('shown to the affiliate') }).strict(),
  csvUpload,
]);
/** For CSV uploads: the program and the reason of rows that name none. */
export const commissionDecisionQuery = z.object({ programId: z.string().min(1).max(200).optional(), reason: decisionReason.optional() }).strict();

export const commissionDecisionItem = z.object({
  id: z.string().nullable().describe('the commission; null when an externalId named none'),
  conversionId: z.string().nullable(),
  externalId: z.string().nullable(),
  result: z.enum(['approved', 'already_approved', 'rejected', 'already_rejected', 'awaiting_funds', 'not_pending', 'not_found']),
  status: z.string().nullable().describe("the commission's status after the call (pending, awaiting_funds, approved, rejected, reversed, paid)"),
});
export const commissionDecisionResult = z.object({ data: z.array(commissionDecisionItem) });
