import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { amountToNumber } from '../shared/money';
import { decodeCursor } from '../shared/pagination';
import { affiliateIdOf, memberMerchantIds, networkRole } from '../shared/policies';
import { ACCOUNT_KIND_RULES, type AccountKind } from './account-kinds';

export interface AccountEntriesInput {
  limit: number;
  cursor?: string;
}

export interface LedgerEntryView {
  id: string;
  createdAt: string;
  kind: 'single' | 'pending' | 'post' | 'void';
  direction: 'debit' | 'credit';
  amount: number;
  currency: string;
  counterparty: { accountId: string; kind: string; ownerType: string };
  code: string;
  reason: string | null;
  pendingId: string | null;
  reference: { commissionId?: string; conversionId?: string; topUpId?: string };
  postedChange: number;
  balance: number;
  reserved: number;
  incoming: number;
}

export interface AccountStatement {
  account: { id: string; kind: string; ownerType: string; ownerId: string; currency: string; normal: 'credit' | 'debit' };
  data: LedgerEntryView[];
  nextCursor: string | null;
}

interface EntryRow {
  id: string;
  created_at: Date;
  kind: string;
  side: 'debit' | 'credit';
  amount: bigint;
  currency: string;
  counterparty_id: string;
  counterparty_kind: string;
  counterparty_owner_type: string;
  code: string;
  reason: string | null;
  pending_id: string | null;
  user_data: Record<string, unknown> | null;
  posted_change: bigint;
  balance: bigint;
  reserved: bigint;
  incoming: bigint;
}

const KIND: Record<string, LedgerEntryView['kind']> = { single_phase: 'single', pending: 'pending', post_pending: 'post', void_pending: 'void' };

/**
 * An account's statement: its transfers oldest first (by id; the cursor continues after
 * the previous page's last entry), each with its side, its counterparty's account kind,
 * what it was for (commission, conversion, top-up from the transfer's user data) and the
 * running balance on the account's normal side after it: `balance` (posted), `reserved`
 * (pending debits, promised out) and `incoming` (pending credits, promised in). After the
 * last entry they equal the account row's posted, reserved and incoming.
 *
 * Visible to the account's owner (a merchant's members and secret key for its prepaid
 * account, the affiliate for its earnings) and network staff; anyone else — another
 * merchant, another affiliate, another network — gets 404, as for a missing account.
 */
export async function listAccountEntries(deps: Deps, actor: Actor, accountId: string, input: AccountEntriesInput): Promise<AccountStatement> {
  const after = decodeCursor(input.cursor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const account = await tx.ledgerAccount.findFirst({ where: { id: accountId, tenantId: actor.tenantId } });
    if (!account || !maySee(actor, account.kind, account.ownerId)) throw notFound('Ledger account', accountId);
    const normal = ACCOUNT_KIND_RULES[account.kind as AccountKind].normal;
    // The running sums need every earlier transfer of the account: a window over them,
    // then the page. Each transfer's effect on this account's four sums (docs/ledger.md):
    // single and post move posted; pending adds to pending; post and void release the
    // pending transfer's amount.
    const rows = await tx.$queryRaw<EntryRow[]>`
      WITH e AS (
        SELECT t.id, t.created_at, t.kind, t.amount, t.currency, t.code, t.reason, t.pending_id, t.user_data,
               CASE WHEN t.credit_account_id = ${accountId} THEN 'credit' ELSE 'debit' END AS side,
               CASE WHEN t.credit_account_id = ${accountId} THEN t.debit_account_id ELSE t.credit_account_id END AS counterparty_id,
               CASE WHEN t.kind IN ('single_phase', 'post_pending') THEN t.amount ELSE 0 END AS posted_delta,
               CASE t.kind WHEN 'pending' THEN t.amount WHEN 'post_pending' THEN -p.amount WHEN 'void_pending' THEN -t.amount ELSE 0 END AS pending_delta
          FROM ledger_transfers t
          LEFT JOIN ledger_transfers p ON p.id = t.pending_id
         WHERE t.tenant_id = ${actor.tenantId} AND (t.debit_account_id = ${accountId} OR t.credit_account_id = ${accountId})
      ), r AS (
        SELECT e.*,
               CASE WHEN side = ${normal} THEN posted_delta ELSE -posted_delta END AS posted_change,
               sum(CASE WHEN side = ${normal} THEN posted_delta ELSE -posted_delta END) OVER w AS balance,
               sum(CASE WHEN side <> ${normal} THEN pending_delta ELSE 0 END) OVER w AS reserved,
               sum(CASE WHEN side = ${normal} THEN pending_delta ELSE 0 END) OVER w AS incoming
          FROM e WINDOW w AS (ORDER BY id ROWS UNBOUNDED PRECEDING)
      )
      SELECT r.id, r.created_at, r.kind, r.side, r.amount, r.currency, r.counterparty_id, a.kind AS counterparty_kind,
             a.owner_type AS counterparty_owner_type, r.code, r.reason, r.pending_id, r.user_data,
             r.posted_change::bigint AS posted_change, r.balance::bigint AS balance, r.reserved::bigint AS reserved, r.incoming::bigint AS incoming
        FROM r JOIN ledger_accounts a ON a.id = r.counterparty_id
       WHERE ${after ?? ''} = '' OR r.id > ${after ?? ''}
       ORDER BY r.id
       LIMIT ${input.limit + 1}`;
    const page = rows.slice(0, input.limit);
    const last = page.at(-1);
    return {
      account: { id: account.id, kind: account.kind, ownerType: account.ownerType, ownerId: account.ownerId, currency: account.currency, normal },
      data: page.map(toEntryView),
      nextCursor: rows.length > input.limit && last ? Buffer.from(last.id).toString('base64url') : null,
    };
  });
}

function maySee(actor: Actor, kind: string, ownerId: string): boolean {
  if (networkRole(actor)) return true;
  if (kind === 'merchant_prepaid') return memberMerchantIds(actor).includes(ownerId);
  if (kind === 'affiliate_earnings') return affiliateIdOf(actor) === ownerId;
  return false;
}

function toEntryView(r: EntryRow): LedgerEntryView {
  const data = r.user_data ?? {};
  const reference: LedgerEntryView['reference'] = {};
  for (const key of ['commissionId', 'conversionId', 'topUpId'] as const) {
    if (typeof data[key] === 'string') reference[key] = data[key] as string;
  }
  return {
    id: r.id,
    createdAt: r.created_at.toISOString(),
    kind: KIND[r.kind] ?? 'single',
    direction: r.side,
    amount: amountToNumber(r.amount),
    currency: r.currency,
    counterparty: { accountId: r.counterparty_id, kind: r.counterparty_kind, ownerType: r.counterparty_owner_type },
    code: r.code,
    reason: r.reason,
    pendingId: r.pending_id,
    reference,
    postedChange: amountToNumber(r.posted_change),
    balance: amountToNumber(r.balance),
    reserved: amountToNumber(r.reserved),
    incoming: amountToNumber(r.incoming),
  };
}
