import type { Tx } from '@app/db/with-tenant';
import type { AccountSums } from './account-balance';

export interface CurrencyTrialBalance extends AccountSums {
  currency: string;
  /** Debits equal credits, posted and pending: always true unless the ledger is broken. */
  balanced: boolean;
}

/** The tenant's accounts summed per currency: every transfer adds the same amount to both sides. */
export async function trialBalance(tx: Tx, tenantId: string): Promise<CurrencyTrialBalance[]> {
  const rows = await tx.$queryRaw<{ currency: string; dpe: bigint; dpo: bigint; cpe: bigint; cpo: bigint }[]>`
    SELECT currency, sum(debits_pending)::bigint AS dpe, sum(debits_posted)::bigint AS dpo,
           sum(credits_pending)::bigint AS cpe, sum(credits_posted)::bigint AS cpo
      FROM ledger_accounts WHERE tenant_id = ${tenantId} GROUP BY currency ORDER BY currency`;
  return rows.map((r) => {
    const sums = { debitsPending: BigInt(r.dpe), debitsPosted: BigInt(r.dpo), creditsPending: BigInt(r.cpe), creditsPosted: BigInt(r.cpo) };
    return { currency: r.currency, ...sums, balanced: sums.debitsPending === sums.creditsPending && sums.debitsPosted === sums.creditsPosted };
  });
}
