import type { Tx } from '@app/db/with-tenant';
import { createTransfer, type TransferResult } from './create-transfer';
import type { ResolveOptions } from './post-pending';

/**
 * Voids a pending transfer: its whole amount goes back. Exactly once: a pending transfer
 * already posted or voided under another key throws `PendingTransferResolved`.
 */
export async function voidPending(tx: Tx, tenantId: string, pendingId: string, options: ResolveOptions = {}): Promise<TransferResult> {
  return createTransfer(tx, tenantId, {
    kind: 'void_pending',
    pendingId,
    idempotencyKey: options.idempotencyKey ?? `void:${pendingId}`,
    code: options.code,
    reason: options.reason,
    userData: options.userData,
  });
}
