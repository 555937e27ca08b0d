import type { LedgerAccount } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { DomainError, notFound } from '../shared/errors';
import { currencyExponent, MAX_AMOUNT } from '../shared/money';
import { ACCOUNT_KIND_RULES, type AccountKind, isAccountKind } from './account-kinds';

export interface AccountKey {
  kind: AccountKind;
  /** The merchant or affiliate; omitted (or the tenant's id) for the network's own accounts. */
  ownerId?: string;
  currency: string;
}

/**
 * The account of an owner, kind and currency, created on first use (get-or-create; two
 * concurrent callers get the same row). The owner type and the funds flag follow from the
 * kind. `overdraftLimit` applies only when the account is created, and only to accounts
 * whose debits must not exceed their credits; `setOverdraftLimit` changes it later.
 */
export async function ensureAccount(tx: Tx, tenantId: string, key: AccountKey, options: { overdraftLimit?: bigint } = {}): Promise<LedgerAccount> {
  if (!isAccountKind(key.kind)) {
    throw new DomainError('validation_failed', `${String(key.kind)} is not a ledger account kind.`, { errors: [{ path: 'kind', message: 'unknown kind' }] });
  }
  if (!/^[A-Z]{3}$/.test(key.currency)) {
    throw new DomainError('validation_failed', 'The currency must be an upper-case ISO 4217 code.', { errors: [{ path: 'currency', message: 'invalid' }] });
  }
  currencyExponent(key.currency);
  const rules = ACCOUNT_KIND_RULES[key.kind];
  const overdraftLimit = options.overdraftLimit ?? 0n;
  if (overdraftLimit < 0n || overdraftLimit > MAX_AMOUNT || (overdraftLimit > 0n && !rules.debitsMustNotExceedCredits)) {
    throw new DomainError('validation_failed', `An overdraft limit must be between 0 and ${MAX_AMOUNT}, on an account whose debits are capped.`, {
      errors: [{ path: 'overdraftLimit', message: 'invalid' }],
    });
  }
  const ownerId = rules.ownerType === 'network' ? (key.ownerId ?? tenantId) : key.ownerId;
  if (!ownerId)
    throw new DomainError('validation_failed', `A ${key.kind} account needs its owner's id.`, { errors: [{ path: 'ownerId', message: 'required' }] });
  const where = { tenantId_ownerType_ownerId_kind_currency: { tenantId, ownerType: rules.ownerType, ownerId, kind: key.kind, currency: key.currency } };
  const existing = await tx.ledgerAccount.findUnique({ where });
  if (existing) return existing;

  if (rules.ownerType === 'network' && ownerId !== tenantId) throw notFound('Network', ownerId);
  const owner =
    rules.ownerType === 'merchant'
      ? await tx.merchant.findFirst({ where: { id: ownerId, tenantId }, select: { id: true } })
      : rules.ownerType === 'affiliate'
        ? await tx.affiliate.findFirst({ where: { id: ownerId, tenantId }, select: { id: true } })
        : await tx.tenant.findFirst({ where: { id: tenantId }, select: { id: true } });
  if (!owner) throw notFound(rules.ownerType === 'merchant' ? 'Merchant' : rules.ownerType === 'affiliate' ? 'Affiliate' : 'Network', ownerId);
  await tx.ledgerAccount.createMany({
    data: [
      {
        id: newId('ledgerAccount'),
        tenantId,
        ownerType: rules.ownerType,
        ownerId,
        kind: key.kind,
        currency: key.currency,
        debitsMustNotExceedCredits: rules.debitsMustNotExceedCredits,
        overdraftLimit,
      },
    ],
    skipDuplicates: true,
  });
  return tx.ledgerAccount.findUniqueOrThrow({ where });
}
