import type { LowBalanceThreshold } from '@app/db/generated/prisma/client';
import { amountToNumber } from '../shared/money';

/** A merchant's low-balance threshold in one currency, beside the balance it watches. */
export interface LowBalanceThresholdView {
  merchantId: string;
  currency: string;
  amount: number;
  /** The prepaid account's available balance now (0 without an account). */
  available: number;
  /** `balance.low` was sent and the balance has not been back at or above `amount` since. */
  notified: boolean;
  notifiedAt: string | null;
  updatedAt: string;
}

export function toLowBalanceThresholdView(t: LowBalanceThreshold, available: bigint): LowBalanceThresholdView {
  return {
    merchantId: t.merchantId,
    currency: t.currency,
    amount: amountToNumber(t.amount),
    available: amountToNumber(available),
    notified: t.notifiedAt !== null,
    notifiedAt: t.notifiedAt?.toISOString() ?? null,
    updatedAt: t.updatedAt.toISOString(),
  };
}
