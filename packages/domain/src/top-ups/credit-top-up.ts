import type { LedgerTransfer } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { createTransfer } from '../ledger/create-transfer';
import { ensureAccount } from '../ledger/ensure-account';
import { enqueueAfterCommit } from '../shared/outbox';
import { notifyIfLowBalance } from './notify-if-low-balance';

export interface CreditTopUpInput {
  topUpId: string;
  merchantId: string;
  amount: bigint;
  currency: string;
  method: 'stripe' | 'manual';
  reason?: string | null;
  /** Where the money came from (the Stripe session and payment), for the statement. */
  userData?: Record<string, unknown>;
}

/**
 * Credits a top-up to the merchant's prepaid balance in the caller's transaction: one
 * single-phase transfer network cash → merchant prepaid under the key `top_up:<id>` (a
 * repeat is the same transfer, never a second credit); then re-checks the low-balance
 * threshold (a credit that lifts the balance back above it re-arms the notification) and
 * schedules `commissions.resume`, so commissions waiting for funds are accrued again.
 */
export async function creditTopUp(tx: Tx, tenantId: string, input: CreditTopUpInput): Promise<LedgerTransfer> {
  const cash = await ensureAccount(tx, tenantId, { kind: 'network_cash', currency: input.currency });
  const prepaid = await ensureAccount(tx, tenantId, { kind: 'merchant_prepaid', ownerId: input.merchantId, currency: input.currency });
  const { transfer } = await createTransfer(tx, tenantId, {
    kind: 'single_phase',
    debitAccountId: cash.id,
    creditAccountId: prepaid.id,
    amount: input.amount,
    currency: input.currency,
    idempotencyKey: `top_up:${input.topUpId}`,
    code: 'top_up',
    reason: input.reason ?? null,
    userData: { topUpId: input.topUpId, method: input.method, ...input.userData },
  });
  await notifyIfLowBalance(tx, tenantId, input.merchantId, input.currency);
  await enqueueAfterCommit(tx, tenantId, 'commissions.resume', { merchantId: input.merchantId, currency: input.currency });
  return transfer;
}
