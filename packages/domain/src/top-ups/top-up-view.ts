import type { TopUp } from '@app/db/generated/prisma/client';
import { amountToNumber } from '../shared/money';

export type TopUpMethod = 'stripe' | 'manual';
export type TopUpStatus = 'pending' | 'paid' | 'expired' | 'failed';

/** A top-up as the API answers it. The checkout URL only while it can still be paid. */
export interface TopUpView {
  id: string;
  merchantId: string;
  method: TopUpMethod;
  amount: number;
  currency: string;
  status: TopUpStatus;
  reason: string | null;
  checkoutUrl: string | null;
  transferId: string | null;
  createdAt: string;
  paidAt: string | null;
}

export function toTopUpView(t: TopUp): TopUpView {
  return {
    id: t.id,
    merchantId: t.merchantId,
    method: t.method as TopUpMethod,
    amount: amountToNumber(t.amount),
    currency: t.currency,
    status: t.status as TopUpStatus,
    reason: t.reason,
    checkoutUrl: t.status === 'pending' ? t.checkoutUrl : null,
    transferId: t.transferId,
    createdAt: t.createdAt.toISOString(),
    paidAt: t.paidAt?.toISOString() ?? null,
  };
}
