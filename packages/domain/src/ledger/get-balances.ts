import type { Tx } from '@app/db/with-tenant';
import { notFound } from '../shared/errors';
import { type AccountBalance, balanceOf } from './account-balance';
import type { AccountKind, OwnerType } from './account-kinds';

/** One account's balance, from its row (kept in step with its transfers). */
export async function getAccountBalance(tx: Tx, tenantId: string, accountId: string): Promise<AccountBalance> {
  const account = await tx.ledgerAccount.findFirst({ where: { id: accountId, tenantId } });
  if (!account) throw notFound('Ledger account', accountId);
  return balanceOf(account);
}

export interface BalanceFilter {
  ownerType?: OwnerType;
  ownerId?: string;
  kind?: AccountKind;
  currency?: string;
}

/** Balances of a tenant's accounts (by owner, kind, currency), ordered by owner, kind and currency. */
export async function listBalances(tx: Tx, tenantId: string, filter: BalanceFilter = {}): Promise<AccountBalance[]> {
  const accounts = await tx.ledgerAccount.findMany({
    where: { tenantId, ...filter },
    orderBy: [{ ownerType: 'asc' }, { ownerId: 'asc' }, { kind: 'asc' }, { currency: 'asc' }],
  });
  return accounts.map(balanceOf);
}
