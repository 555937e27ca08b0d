import { z } from 'zod';
import { currencyCode, listQuery, timestamp } from './common';

const filterId = z.string().min(1).max(200);
const money = z.number().int().describe('minor units of `currency`');

export const balanceQuery = z
  .object({
    merchantId: filterId.optional().describe("network staff: one merchant's prepaid balances"),
    affiliateId: filterId.optional().describe("network staff: one affiliate's earnings"),
    currency: currencyCode.optional(),
  })
  .strict();

/**
 * A merchant's prepaid account or an affiliate's earnings in one currency, read from the
 * ledger account row. Merchant: available (posted − reserved) and reserved (commissions
 * and fees accrued, not yet approved); pending is 0. Affiliate: pending (reserved for it,
 * not yet approved) and available (posted earnings; below 0 after a clawback).
 */
export const balanceSchema = z.object({
  accountId: z.string().describe('the ledger account: its statement is /v1/ledger/accounts/{accountId}/entries'),
  ownerType: z.enum(['merchant', 'affiliate']),
  ownerId: z.string(),
  currency: z.string(),
  available: money,
  pending: money,
  reserved: money,
  posted: money.describe('posted balance on the account’s normal side'),
});

export const balanceListSchema = z.object({ data: z.array(balanceSchema) });

export const accountEntriesQuery = listQuery.describe('oldest first; the cursor continues after the last entry of the previous page');

export const ledgerEntrySchema = z.object({
  id: z.string().describe('the ledger transfer'),
  createdAt: timestamp,
  kind: z.enum(['single', 'pending', 'post', 'void']),
  direction: z.enum(['debit', 'credit']).describe('the side of this account the transfer is on'),
  amount: money.describe('the transfer’s amount (for a post, what was posted; for a void, what was released)'),
  currency: z.string(),
  counterparty: z.object({ accountId: z.string(), kind: z.string(), ownerType: z.string() }),
  code: z.string().describe('why money moved: top_up, accrual, approval, clawback, payout…'),
  reason: z.string().nullable(),
  pendingId: z.string().nullable().describe('for a post or void: the pending transfer it resolves'),
  reference: z
    .object({ commissionId: z.string().optional(), conversionId: z.string().optional(), topUpId: z.string().optional() })
    .describe('what the money was for, from the transfer’s user data'),
  postedChange: money.describe('change of the posted balance on the account’s normal side'),
  balance: money.describe('posted balance after this entry (running, normal side)'),
  reserved: money.describe('pending debits after this entry (normal side): promised out'),
  incoming: money.describe('pending credits after this entry (normal side): promised in'),
});

export const accountStatementSchema = z.object({
  account: z.object({
    id: z.string(),
    kind: z.string(),
    ownerType: z.string(),
    ownerId: z.string(),
    currency: z.string(),
    normal: z.enum(['credit', 'debit']),
  }),
  data: z.array(ledgerEntrySchema),
  nextCursor: z.string().nullable(),
});
