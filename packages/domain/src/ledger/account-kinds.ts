/**
 * The kinds of ledger account, who owns each, on which side its balance sits and
 * whether its debits are capped by its credits. docs/ledger.md explains each one and
 * the transfers that move money between them.
 */

export const OWNER_TYPES = ['merchant', 'affiliate', 'network'] as const;
export type OwnerType = (typeof OWNER_TYPES)[number];

export const ACCOUNT_KINDS = ['merchant_prepaid', 'affiliate_earnings', 'network_fee_revenue', 'network_cash', 'payouts_in_transit'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

export interface AccountKindRules {
  ownerType: OwnerType;
  /** The side that grows the balance: credit for what the network owes or earns, debit for what it holds. */
  normal: 'credit' | 'debit';
  /** Debits (posted + pending) may not pass posted credits plus the overdraft limit. */
  debitsMustNotExceedCredits: boolean;
}

export const ACCOUNT_KIND_RULES: Record<AccountKind, AccountKindRules> = {
  // What the network holds for a merchant, to pay its commissions and fees from.
  merchant_prepaid: { ownerType: 'merchant', normal: 'credit', debitsMustNotExceedCredits: true },
  // What the network owes an affiliate. A clawback after a payout may take it below
  // zero: the affiliate then owes it, and later earnings make up for it.
  affiliate_earnings: { ownerType: 'affiliate', normal: 'credit', debitsMustNotExceedCredits: false },
  // The network's fee, earned on approved commissions.
  network_fee_revenue: { ownerType: 'network', normal: 'credit', debitsMustNotExceedCredits: false },
  // Money in the network's bank or provider accounts: top-ups in, settled payouts out.
  network_cash: { ownerType: 'network', normal: 'debit', debitsMustNotExceedCredits: false },
  // Payouts handed to a provider, not yet confirmed: never more can settle than was sent.
  payouts_in_transit: { ownerType: 'network', normal: 'credit', debitsMustNotExceedCredits: true },
};

export function isAccountKind(value: string): value is AccountKind {
  return (ACCOUNT_KINDS as readonly string[]).includes(value);
}
