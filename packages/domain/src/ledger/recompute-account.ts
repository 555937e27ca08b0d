import type { Tx } from '@app/db/with-tenant';
import { notFound } from '../shared/errors';
import type { AccountSums } from './account-balance';

export interface AccountCheck {
  accountId: string;
  /** The sums on the account row. */
  stored: AccountSums;
  /** The sums recomputed from the account's transfers. */
  computed: AccountSums;
  matches: boolean;
}

/**
 * Recomputes an account's four sums from its transfers and compares them with its row:
 * posted = single_phase + post_pending amounts on each side; pending = amounts of its
 * pending transfers that no post_pending or void_pending row has resolved yet.
 */
export async function recomputeAccount(tx: Tx, tenantId: string, accountId: string): Promise<AccountCheck> {
  const [check] = await recompute(tx, tenantId, accountId);
  if (!check) throw notFound('Ledger account', accountId);
  return check;
}

/** The same check for every account of the tenant (an audit: a mismatch is a bug). */
export async function recomputeAccounts(tx: Tx, tenantId: string): Promise<AccountCheck[]> {
  return recompute(tx, tenantId, null);
}

interface Row {
  id: string;
  debits_pending: bigint;
  debits_posted: bigint;
  credits_pending: bigint;
  credits_posted: bigint;
  c_debits_pending: bigint;
  c_debits_posted: bigint;
  c_credits_pending: bigint;
  c_credits_posted: bigint;
}

async function recompute(tx: Tx, tenantId: string, accountId: string | null): Promise<AccountCheck[]> {
  const rows = await tx.$queryRaw<Row[]>`
    WITH accounts AS (
      SELECT * FROM ledger_accounts WHERE tenant_id = ${tenantId} AND (${accountId}::text IS NULL OR id = ${accountId}::text)
    ),
    transfers AS (
      SELECT t.debit_account_id, t.credit_account_id, t.amount,
             t.kind IN ('single_phase', 'post_pending') AS posted,
             t.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id) AS open
        FROM ledger_transfers t
       WHERE t.tenant_id = ${tenantId}
         AND (${accountId}::text IS NULL OR t.debit_account_id = ${accountId}::text OR t.credit_account_id = ${accountId}::text)
    ),
    sides AS (
      SELECT debit_account_id AS account_id, amount * open::int AS dpe, amount * posted::int AS dpo, 0::bigint AS cpe, 0::bigint AS cpo FROM transfers
      UNION ALL
      SELECT credit_account_id, 0, 0, amount * open::int, amount * posted::int FROM transfers
    ),
    sums AS (
      SELECT account_id, sum(dpe)::bigint AS dpe, sum(dpo)::bigint AS dpo, sum(cpe)::bigint AS cpe, sum(cpo)::bigint AS cpo FROM sides GROUP BY account_id
    )
    SELECT a.id, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted,
           coalesce(s.dpe, 0) AS c_debits_pending, coalesce(s.dpo, 0) AS c_debits_posted,
           coalesce(s.cpe, 0) AS c_credits_pending, coalesce(s.cpo, 0) AS c_credits_posted
      FROM accounts a LEFT JOIN sums s ON s.account_id = a.id
     ORDER BY a.id`;
  return rows.map((r) => {
    const stored = {
      debitsPending: BigInt(r.debits_pending),
      debitsPosted: BigInt(r.debits_posted),
      creditsPending: BigInt(r.credits_pending),
      creditsPosted: BigInt(r.credits_posted),
    };
    const computed = {
      debitsPending: BigInt(r.c_debits_pending),
      debitsPosted: BigInt(r.c_debits_posted),
      creditsPending: BigInt(r.c_credits_pending),
      creditsPosted: BigInt(r.c_credits_posted),
    };
    const matches =
      stored.debitsPending === computed.debitsPending &&
      stored.debitsPosted === computed.debitsPosted &&
      stored.creditsPending === computed.creditsPending &&
      stored.creditsPosted === computed.creditsPosted;
    return { accountId: r.id, stored, computed, matches };
  });
}
