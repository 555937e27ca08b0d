import type { Tx } from '@app/db/with-tenant';
import { recordEvent } from '../events/record-event';
import { debitHeadroom } from '../ledger/account-balance';

/**
 * The funds hold: once a commission of a merchant could not be reserved for lack of
 * prepaid funds, every new commission of that merchant in that currency waits behind it
 * (`awaiting_funds`), and a top-up's resume reserves them oldest first. The hold is kept
 * on the programs whose commissions wait (`programs.funds_hold_at`), apart from the
 * merchant-controlled program status: conversions are still attributed, only the
 * reservation waits.
 *
 * Everything that reserves from or waits for one merchant's prepaid account in one
 * currency — accruals and resumes — first takes `lockMerchantFunds` (a transaction-level
 * advisory lock), then reads the hold and the balance in a later statement. So they are
 * decided one at a time in a single order, a hold set by one is seen by the next, and no
 * later commission jumps ahead of a waiting one. The lock is taken after every row lock
 * of the caller's own conversion and before any ledger account lock (createTransfers),
 * always in that order, so it cannot close a cycle of waits.
 */
export async function lockMerchantFunds(tx: Tx, merchantId: string, currency: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`commissions.funds:${merchantId}:${currency}`}, 0))`;
}

export interface FundsState {
  /** The database's clock now that the lock is held: commissions waiting are ordered by it. */
  now: Date;
  /** Whether any program of the merchant in the currency is held for funds. */
  held: boolean;
  /** How much more the prepaid account may reserve (posted credits + overdraft − debits); null when uncapped. */
  headroom: bigint | null;
}

/**
 * The hold and the prepaid account's headroom, read in one statement with the merchant's
 * funds lock held (a statement after the lock's own, so it sees what the previous holder
 * committed).
 */
export async function readFunds(tx: Tx, merchantId: string, currency: string, prepaidAccountId: string): Promise<FundsState> {
  const [row] = await tx.$queryRaw<{ now: Date; held: boolean; dpe: bigint; dpo: bigint; cpe: bigint; cpo: bigint; capped: boolean; overdraft: bigint }[]>`
    SELECT clock_timestamp() AS now,
           EXISTS (SELECT 1 FROM programs WHERE merchant_id = ${merchantId} AND currency = ${currency} AND funds_hold_at IS NOT NULL) AS held,
           a.debits_pending AS dpe, a.debits_posted AS dpo, a.credits_pending AS cpe, a.credits_posted AS cpo,
           a.debits_must_not_exceed_credits AS capped, a.overdraft_limit AS overdraft
      FROM ledger_accounts a WHERE a.id = ${prepaidAccountId}`;
  if (!row) throw new Error(`prepaid account ${prepaidAccountId} not found`);
  const headroom = debitHeadroom({
    debitsPending: BigInt(row.dpe),
    debitsPosted: BigInt(row.dpo),
    creditsPending: BigInt(row.cpe),
    creditsPosted: BigInt(row.cpo),
    debitsMustNotExceedCredits: row.capped,
    overdraftLimit: BigInt(row.overdraft),
  });
  return { now: row.now, held: row.held, headroom };
}

export interface HoldDetails {
  tenantId: string;
  merchantId: string;
  currency: string;
  programId: string;
  conversionId: string;
  /** What the conversion's commissions needed, and what the prepaid account had (null when it waited behind an earlier hold). */
  needed: bigint;
  available: bigint | null;
}

/**
 * Holds the program for funds (if it is not held yet) and, when the merchant had no hold
 * in this currency before, records `balance.low` — once per hold, not per commission.
 */
export async function holdProgramForFunds(tx: Tx, details: HoldDetails, merchantWasHeld: boolean, now: Date): Promise<void> {
  await tx.$executeRaw`UPDATE programs SET funds_hold_at = ${now} WHERE id = ${details.programId} AND funds_hold_at IS NULL`;
  if (merchantWasHeld) return;
  await recordEvent(tx, {
    tenantId: details.tenantId,
    type: 'balance.low',
    subjectType: 'merchant',
    subjectId: details.merchantId,
    payload: {
      reason: 'commissions_awaiting_funds',
      merchantId: details.merchantId,
      currency: details.currency,
      programId: details.programId,
      conversionId: details.conversionId,
      needed: Number(details.needed),
      available: details.available === null ? null : Number(details.available),
      shortfall: details.available === null ? null : Number(details.needed - details.available),
    },
  });
}

/** Lifts the hold of every program of the merchant in the currency; records `balance.restored` when there was one. Returns the programs released. */
export async function releaseFundsHold(tx: Tx, tenantId: string, merchantId: string, currency: string, resumed: number): Promise<string[]> {
  const released = await tx.$queryRaw<{ id: string }[]>`
    UPDATE programs SET funds_hold_at = NULL
     WHERE merchant_id = ${merchantId} AND currency = ${currency} AND funds_hold_at IS NOT NULL
    RETURNING id`;
  const programIds = released.map((r) => r.id).sort();
  if (programIds.length > 0) {
    await recordEvent(tx, {
      tenantId,
      type: 'balance.restored',
      subjectType: 'merchant',
      subjectId: merchantId,
      payload: { merchantId, currency, programIds, resumedCommissions: resumed },
    });
  }
  return programIds;
}
