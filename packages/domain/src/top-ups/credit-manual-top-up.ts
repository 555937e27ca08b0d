import type { TopUp } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import type { Actor } from '../shared/actor';
import { creditTopUp } from './credit-top-up';

/**
 * Network staff credit a merchant with money that reached the network another way (a
 * bank transfer): the top-up is paid at once, its transfer made in the same transaction,
 * and the audit log says who credited how much and why.
 */
export async function creditManualTopUp(tx: Tx, actor: Actor, merchantId: string, input: { amount: bigint; currency: string; reason: string }): Promise<TopUp> {
  const id = newId('topUp');
  const transfer = await creditTopUp(tx, actor.tenantId, {
    topUpId: id,
    merchantId,
    amount: input.amount,
    currency: input.currency,
    method: 'manual',
    reason: input.reason,
  });
  const topUp = await tx.topUp.create({
    data: {
      id,
      tenantId: actor.tenantId,
      merchantId,
      method: 'manual',
      amount: input.amount,
      currency: input.currency,
      status: 'paid',
      reason: input.reason,
      createdByType: actor.type,
      createdById: actor.type === 'user' ? actor.userId : actor.type === 'api_key' ? actor.keyId : null,
      transferId: transfer.id,
      paidAt: transfer.createdAt,
    },
  });
  await writeAudit(tx, actor, {
    action: 'top_up.manual_credit',
    subjectType: 'merchant',
    subjectId: merchantId,
    data: { topUpId: id, amount: Number(input.amount), currency: input.currency, reason: input.reason, transferId: transfer.id },
  });
  return topUp;
}
