import type { LedgerTransfer } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { createTransfers } from './create-transfers';
import type { TransferInput } from './transfer-input';

export interface TransferResult {
  transfer: LedgerTransfer;
  /** True when the idempotency key had been used already: nothing changed. */
  replayed: boolean;
}

/**
 * One transfer (a batch of one). A refusal is thrown: `InsufficientFunds` or
 * `PendingTransferResolved` (both `invalid_state`), for the caller to catch.
 */
export async function createTransfer(tx: Tx, tenantId: string, input: TransferInput): Promise<TransferResult> {
  const [outcome] = await createTransfers(tx, tenantId, [input]);
  if (outcome!.status === 'refused') throw outcome!.error;
  return { transfer: outcome!.transfer, replayed: outcome!.status === 'existing' };
}
