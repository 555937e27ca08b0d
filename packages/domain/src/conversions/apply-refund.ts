import type { Conversion, ConversionRefund } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { recordEvent } from '../events/record-event';
import { enqueueAfterCommit } from '../shared/outbox';
import { refundEffect } from './refund-math';

export interface RefundRequest {
  amount: bigint | null;
  reason?: string | null;
  source: 'api' | 'postback' | 'stripe';
  strict: boolean;
}

/**
 * Applies a refund to a conversion (locked FOR UPDATE first, so concurrent refunds add
 * up and never take back more than the sale): the refund row, the conversion's refunded
 * amount and status, a `conversion.refunded` event and the commission reversal job.
 * Whatever state attribution is in: the reversal works from the conversion's row.
 */
export async function applyRefund(
  tx: Tx,
  conversionId: string,
  request: RefundRequest,
  existing?: ConversionRefund,
): Promise<{ refund: ConversionRefund; conversion: Conversion }> {
  const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM conversions WHERE id = ${conversionId} FOR UPDATE`;
  if (!locked) throw new Error(`conversion ${conversionId} vanished`);
  const c = await tx.conversion.findUniqueOrThrow({ where: { id: conversionId } });
  const effect = refundEffect(c, request.amount, request.strict);
  const conversion = await tx.conversion.update({ where: { id: c.id }, data: { refundedAmount: effect.refundedAmount, status: effect.status } });
  const data = { conversionId: c.id, appliedAmount: effect.applied, status: 'applied', appliedAt: new Date() };
  const refund = existing
    ? await tx.conversionRefund.update({ where: { id: existing.id }, data })
    : await tx.conversionRefund.create({
        data: {
          id: newId('refund'),
          tenantId: c.tenantId,
          merchantId: c.merchantId,
          amount: request.amount,
          reason: request.reason ?? null,
          source: request.source,
          ...data,
        },
      });
  await recordEvent(tx, {
    tenantId: c.tenantId,
    type: 'conversion.refunded',
    subjectType: 'conversion',
    subjectId: c.id,
    payload: { refundId: refund.id, amount: Number(effect.applied), refundedAmount: Number(effect.refundedAmount), status: effect.status },
  });
  await enqueueAfterCommit(tx, c.tenantId, 'commissions.reverse', { refundId: refund.id });
  return { refund, conversion };
}

/** Refunds that named this sale before it arrived (by order or payment reference) are applied now. */
export async function applyWaitingRefunds(tx: Tx, conversion: Conversion): Promise<Conversion> {
  const refs = [conversion.externalId, conversion.paymentRef].filter((r): r is string => !!r);
  const waiting = await tx.conversionRefund.findMany({
    where: { merchantId: conversion.merchantId, status: 'waiting', externalRef: { in: refs } },
    orderBy: { id: 'asc' },
  });
  let current = conversion;
  for (const refund of waiting) {
    if (current.status === 'refunded') break;
    current = (
      await applyRefund(
        tx,
        current.id,
        { amount: refund.amount, reason: refund.reason, source: refund.source as RefundRequest['source'], strict: false },
        refund,
      )
    ).conversion;
  }
  return current;
}
