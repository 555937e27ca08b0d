import type { Conversion, ConversionRefund } from '@app/db/generated/prisma/client';
import { amountToNumber } from '../shared/money';
import type { ConversionStatus } from './conversion-view';

export interface RefundView {
  id: string;
  conversionId: string | null;
  amount: number | null;
  appliedAmount: number | null;
  status: 'waiting' | 'applied';
  reason: string | null;
  source: string;
  createdAt: string;
  conversion: { id: string; status: ConversionStatus; refundedAmount: number } | null;
}

export function toRefundView(r: ConversionRefund, c: Conversion | null): RefundView {
  return {
    id: r.id,
    conversionId: r.conversionId,
    amount: r.amount === null ? null : amountToNumber(r.amount),
    appliedAmount: r.appliedAmount === null ? null : amountToNumber(r.appliedAmount),
    status: r.status as RefundView['status'],
    reason: r.reason,
    source: r.source,
    createdAt: r.createdAt.toISOString(),
    conversion: c ? { id: c.id, status: c.status as ConversionStatus, refundedAmount: amountToNumber(c.refundedAmount) } : null,
  };
}
