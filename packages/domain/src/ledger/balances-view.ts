import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { amountToNumber } from '../shared/money';
import { affiliateIdOf, memberMerchantIds, networkRole } from '../shared/policies';
import type { AccountBalance } from './account-balance';
import { listBalances } from './get-balances';

export interface BalancesInput {
  merchantId?: string;
  affiliateId?: string;
  currency?: string;
}

export interface BalanceView {
  accountId: string;
  ownerType: 'merchant' | 'affiliate';
  ownerId: string;
  currency: string;
  available: number;
  pending: number;
  reserved: number;
  posted: number;
}

/**
 * Balances for `/v1/balances`, read from the ledger account rows (`listBalances`), never
 * summed from transfers. A merchant's members and its secret key: the merchant's prepaid
 * accounts (available, reserved). An affiliate: its earnings (pending = reserved for it
 * and not approved yet, the account's incoming; available = posted − what it has
 * promised out). Network staff: every merchant's and affiliate's, or one of them by
 * `merchantId` / `affiliateId`. The network's own accounts are not listed here.
 * Filters narrow and never widen: another merchant's or affiliate's id gives nothing.
 */
export async function getBalances(deps: Deps, actor: Actor, input: BalancesInput): Promise<{ data: BalanceView[] }> {
  const currency = input.currency ? { currency: input.currency } : {};
  const queries: { ownerType: 'merchant' | 'affiliate'; ownerId?: string }[] = [];
  if (networkRole(actor)) {
    if (input.merchantId || !input.affiliateId) queries.push({ ownerType: 'merchant', ownerId: input.merchantId });
    if (input.affiliateId || !input.merchantId) queries.push({ ownerType: 'affiliate', ownerId: input.affiliateId });
    if (input.merchantId && input.affiliateId) return { data: [] };
  } else {
    const self = affiliateIdOf(actor);
    const merchants = memberMerchantIds(actor);
    if (self) {
      if (!input.merchantId && (!input.affiliateId || input.affiliateId === self)) queries.push({ ownerType: 'affiliate', ownerId: self });
    } else if (merchants.length > 0) {
      const wanted = input.affiliateId ? [] : input.merchantId ? merchants.filter((m) => m === input.merchantId) : merchants;
      for (const ownerId of wanted) queries.push({ ownerType: 'merchant', ownerId });
    } else {
      throw forbidden('Balances are for merchants, affiliates and network staff.');
    }
  }
  if (queries.length === 0) return { data: [] };
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const data: BalanceView[] = [];
    for (const q of queries) {
      const kind = q.ownerType === 'merchant' ? 'merchant_prepaid' : 'affiliate_earnings';
      const balances = await listBalances(tx, actor.tenantId, { ownerType: q.ownerType, ...(q.ownerId ? { ownerId: q.ownerId } : {}), kind, ...currency });
      data.push(...balances.map(toBalanceView));
    }
    return { data };
  });
}

export function toBalanceView(b: AccountBalance): BalanceView {
  const merchant = b.kind === 'merchant_prepaid';
  return {
    accountId: b.accountId,
    ownerType: merchant ? 'merchant' : 'affiliate',
    ownerId: b.ownerId,
    currency: b.currency,
    available: amountToNumber(b.available),
    pending: merchant ? 0 : amountToNumber(b.incoming),
    reserved: amountToNumber(b.reserved),
    posted: amountToNumber(b.posted),
  };
}
