import type { Tx } from '@app/db/with-tenant';
import { recordEvent } from '../events/record-event';
import { balanceOf } from '../ledger/account-balance';
import { amountToNumber } from '../shared/money';

export type LowBalanceCheck =
  /** No threshold is set for this merchant and currency. */
  | { status: 'no_threshold' }
  /** The balance fell below the threshold: `balance.low` was recorded. */
  | { status: 'notified'; available: bigint; threshold: bigint; eventId: string }
  /** The balance is back at or above the threshold: the next fall notifies again. */
  | { status: 'rearmed'; available: bigint; threshold: bigint }
  /** Below and already notified, or above and armed: nothing to do. */
  | { status: 'unchanged'; available: bigint; threshold: bigint; below: boolean };

/**
 * Compares the available balance of a merchant's prepaid account (posted − reserved) with
 * its low-balance threshold in that currency, in the caller's transaction. Below it, and
 * not notified since it last was at or above it: records the domain event `balance.low`
 * `{ merchantId, currency, available, threshold }` and sets the flag. At or above it
 * with the flag set: clears the flag. Once per fall, however many reservations follow.
 *
 * Call it after anything that moves the balance (accruals after their reservations,
 * top-ups after their credit), in the same transaction. The threshold row is locked, so
 * two transactions never both notify; a caller that has locked the prepaid account
 * (createTransfers does) takes that lock first, the order every caller uses.
 */
export async function notifyIfLowBalance(tx: Tx, tenantId: string, merchantId: string, currency: string): Promise<LowBalanceCheck> {
  const locked = await tx.$queryRaw<{ merchant_id: string }[]>`
    SELECT merchant_id FROM low_balance_thresholds
     WHERE tenant_id = ${tenantId} AND merchant_id = ${merchantId} AND currency = ${currency} FOR UPDATE`;
  if (locked.length === 0) return { status: 'no_threshold' };
  const threshold = await tx.lowBalanceThreshold.findUniqueOrThrow({ where: { merchantId_currency: { merchantId, currency } } });
  const account = await tx.ledgerAccount.findUnique({
    where: { tenantId_ownerType_ownerId_kind_currency: { tenantId, ownerType: 'merchant', ownerId: merchantId, kind: 'merchant_prepaid', currency } },
  });
  const available = account ? balanceOf(account).available : 0n;
  const below = available < threshold.amount;
  const where = { merchantId_currency: { merchantId, currency } };

  if (below && threshold.notifiedAt === null) {
    const eventId = await recordEvent(tx, {
      tenantId,
      type: 'balance.low',
      subjectType: 'merchant',
      subjectId: merchantId,
      payload: { merchantId, currency, available: amountToNumber(available), threshold: amountToNumber(threshold.amount) },
    });
    await tx.lowBalanceThreshold.update({ where, data: { notifiedAt: new Date() } });
    return { status: 'notified', available, threshold: threshold.amount, eventId };
  }
  if (!below && threshold.notifiedAt !== null) {
    await tx.lowBalanceThreshold.update({ where, data: { notifiedAt: null } });
    return { status: 'rearmed', available, threshold: threshold.amount };
  }
  return { status: 'unchanged', available, threshold: threshold.amount, below };
}
