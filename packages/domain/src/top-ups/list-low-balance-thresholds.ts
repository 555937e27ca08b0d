import { withTenant } from '@app/db/with-tenant';
import { balanceOf } from '../ledger/account-balance';
import { loadMerchantOrThrow } from '../merchants/get-merchant-or-throw';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantRead } from '../shared/policies';
import { type LowBalanceThresholdView, toLowBalanceThresholdView } from './low-balance-threshold-view';

/** A merchant's low-balance thresholds, one per currency, with the balances they watch. */
export async function listLowBalanceThresholds(deps: Deps, actor: Actor, merchantId: string): Promise<{ data: LowBalanceThresholdView[] }> {
  requireMerchantRead(actor, merchantId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await loadMerchantOrThrow(tx, merchantId);
    const thresholds = await tx.lowBalanceThreshold.findMany({ where: { tenantId: actor.tenantId, merchantId }, orderBy: { currency: 'asc' } });
    const accounts = await tx.ledgerAccount.findMany({
      where: { tenantId: actor.tenantId, ownerType: 'merchant', ownerId: merchantId, kind: 'merchant_prepaid' },
    });
    const available = new Map(accounts.map((a) => [a.currency, balanceOf(a).available]));
    return { data: thresholds.map((t) => toLowBalanceThresholdView(t, available.get(t.currency) ?? 0n)) };
  });
}
