import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { loadMerchantOrThrow } from '../merchants/get-merchant-or-throw';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { type LowBalanceThresholdView, toLowBalanceThresholdView } from './low-balance-threshold-view';
import { notifyIfLowBalance } from './notify-if-low-balance';
import { requireKnownCurrency } from './require-known-currency';
import { requireTopUpWrite } from './top-up-access';

/**
 * Sets a merchant's low-balance threshold in a currency (merchant or network
 * owner/admin/finance), then checks the balance against it at once: a threshold above
 * the current balance notifies now; one below it re-arms a notification already sent.
 * 0 notifies only when an overdraft takes the balance below zero.
 */
export async function setLowBalanceThreshold(
  deps: Deps,
  actor: Actor,
  merchantId: string,
  input: { currency: string; amount: number },
): Promise<LowBalanceThresholdView> {
  requireTopUpWrite(actor, merchantId, 'threshold');
  requireKnownCurrency(input.currency);
  const amount = BigInt(input.amount);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await loadMerchantOrThrow(tx, merchantId);
    const key = { merchantId_currency: { merchantId, currency: input.currency } };
    const before = await tx.lowBalanceThreshold.findUnique({ where: key });
    await tx.lowBalanceThreshold.upsert({
      where: key,
      create: { tenantId: actor.tenantId, merchantId, currency: input.currency, amount },
      update: { amount },
    });
    const check = await notifyIfLowBalance(tx, actor.tenantId, merchantId, input.currency);
    await writeAudit(tx, actor, {
      action: 'merchant.low_balance_threshold_set',
      subjectType: 'merchant',
      subjectId: merchantId,
      data: { currency: input.currency, amount: input.amount, previousAmount: before ? Number(before.amount) : null },
    });
    const saved = await tx.lowBalanceThreshold.findUniqueOrThrow({ where: key });
    return toLowBalanceThresholdView(saved, check.status === 'no_threshold' ? 0n : check.available);
  });
}
