import type { Tx } from '@app/db/with-tenant';
import { createTransfer, type TransferResult } from './create-transfer';

export interface ResolveOptions {
  /** Defaults to `post:<pendingId>` (`void:<pendingId>` for a void): a retry is a repeat. */
  idempotencyKey?: string;
  /** Defaults to the pending transfer's code. */
  code?: string;
  reason?: string | null;
  userData?: Record<string, unknown>;
}

/**
 * Posts a pending transfer, all of it or `amount` of it (the rest goes back to the debit
 * account's available balance). Exactly once: a pending transfer already posted or
 * voided under another key throws `PendingTransferResolved`.
 */
export async function postPending(tx: Tx, tenantId: string, pendingId: string, options: ResolveOptions & { amount?: bigint } = {}): Promise<TransferResult> {
  return createTransfer(tx, tenantId, {
    kind: 'post_pending',
    pendingId,
    amount: options.amount,
    idempotencyKey: options.idempotencyKey ?? `post:${pendingId}`,
    code: options.code,
    reason: options.reason,
    userData: options.userData,
  });
}
