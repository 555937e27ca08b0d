import type { LedgerAccount } from '@app/db/generated/prisma/client';
import { ACCOUNT_KIND_RULES, type AccountKind, type OwnerType } from './account-kinds';

/** The four running sums of an account (what a transfer moves). */
export interface AccountSums {
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
}

/**
 * An account's balance read on its normal side (docs/ledger.md). For a credit-normal
 * account (merchant prepaid, affiliate earnings, fee revenue, payouts in transit):
 * posted = posted credits − posted debits, reserved = pending debits, incoming =
 * pending credits. A debit-normal account (network cash) reads the other way round.
 * available = posted − reserved: what can still be spent (below zero only by the
 * overdraft limit, for accounts whose debits must not exceed their credits).
 */
export interface AccountBalance {
  accountId: string;
  ownerType: OwnerType;
  ownerId: string;
  kind: AccountKind;
  currency: string;
  normal: 'credit' | 'debit';
  posted: bigint;
  reserved: bigint;
  incoming: bigint;
  available: bigint;
  overdraftLimit: bigint;
}

export function balanceOf(account: LedgerAccount): AccountBalance {
  const kind = account.kind as AccountKind;
  const normal = ACCOUNT_KIND_RULES[kind].normal;
  const posted = normal === 'credit' ? account.creditsPosted - account.debitsPosted : account.debitsPosted - account.creditsPosted;
  const reserved = normal === 'credit' ? account.debitsPending : account.creditsPending;
  const incoming = normal === 'credit' ? account.creditsPending : account.debitsPending;
  return {
    accountId: account.id,
    ownerType: account.ownerType as OwnerType,
    ownerId: account.ownerId,
    kind,
    currency: account.currency,
    normal,
    posted,
    reserved,
    incoming,
    available: posted - reserved,
    overdraftLimit: account.overdraftLimit,
  };
}

/**
 * How much more an account may be debited (pending or posted) before its debits pass
 * its posted credits plus its overdraft limit. Pending credits do not count: money on
 * its way in cannot be spent until it is posted. Null when the account has no limit.
 */
export function debitHeadroom(account: AccountSums & { debitsMustNotExceedCredits: boolean; overdraftLimit: bigint }): bigint | null {
  if (!account.debitsMustNotExceedCredits) return null;
  return account.creditsPosted + account.overdraftLimit - account.debitsPosted - account.debitsPending;
}
