import { DomainError } from '../shared/errors';

/**
 * The refusals a ledger caller is expected to handle (an accrual without funds waits as
 * `awaiting_funds`; an approval that lost to a rejection does nothing). Both are
 * `invalid_state` DomainErrors, so an API that lets one escape answers 409.
 */

/** A debit would take an account with debits_must_not_exceed_credits past its limit. */
export class InsufficientFunds extends DomainError {
  override name = 'InsufficientFunds';
  constructor(
    readonly accountId: string,
    readonly currency: string,
    readonly amount: bigint,
    /** Posted credits − posted debits − pending debits + overdraft limit, before this transfer. */
    readonly available: bigint,
  ) {
    super('invalid_state', `Account ${accountId} has ${available} ${currency} available; ${amount} is needed.`, {
      accountId,
      currency,
      amount: Number(amount),
      available: Number(available),
      shortfall: Number(amount - available),
    });
  }

  get shortfall(): bigint {
    return this.amount - this.available;
  }
}

/** The pending transfer was already posted or voided (by another key). */
export class PendingTransferResolved extends DomainError {
  override name = 'PendingTransferResolved';
  constructor(
    readonly pendingId: string,
    readonly resolution: 'posted' | 'voided',
    readonly resolvedBy: string,
  ) {
    super('invalid_state', `Pending transfer ${pendingId} was already ${resolution} (by ${resolvedBy}).`, { pendingId, resolution, resolvedBy });
  }
}

export type TransferRefusal = InsufficientFunds | PendingTransferResolved;
