import type { PrismaClient } from '@app/db/client';
import type { Commission, Prisma } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import { type Tx, withTenant } from '@app/db/with-tenant';
import { recordConversionRollup } from '../reports/record-conversion-rollup';
import { enqueueAfterCommit } from '../shared/outbox';
import { type AccrualStart, type AccrualSubject, accrualStart, effectivePlan, engineConversion, lockAccrualSubject } from './accrual-subject';
import type { CommissionLine, CommissionResult } from './commission-types';
import { computeCommissions } from './compute-commissions';
import { holdProgramForFunds, lockMerchantFunds, readFunds } from './funds-hold';
import { lockAffiliateCounts, periodCounts } from './period-counts';
import { periodsUsed } from './periods';
import { commissionAccounts, type Reservation, reserveCommissions } from './reserve-commissions';
import { writeAccrual } from './write-accrual';

/** Why a conversion earned nothing. `not_attributed` (attribution still pending) is not recorded: a later run may accrue. */
export type AccrualSkipReason = 'not_attributed' | 'unattributed' | 'refunded' | 'rejected' | 'no_plan';

export interface AccrualOutcome {
  conversionId: string;
  /**
   * `accrued`: every line reserved on the ledger (or nothing to pay); `awaiting_funds`:
   * lines wait for the merchant's funds; `skipped`: the conversion earns nothing (`reason`).
   */
  status: 'accrued' | 'awaiting_funds' | 'skipped';
  reason: AccrualSkipReason | null;
  /** False when an earlier run had decided (the job ran again) or there was nothing to decide yet. */
  changed: boolean;
  commissions: Commission[];
}

export const DAY_MS = 86_400_000;

/**
 * The accrual job (docs/commissions.md): turns an attributed conversion into its
 * commission rows and their pending ledger transfers, in one transaction.
 *
 * 1. The conversion row is locked; a conversion already decided (`conversion_accruals`)
 *    answers what was decided and changes nothing, so a retried, duplicated or crashed
 *    job accrues once. An unattributed, refunded or rejected one is recorded as skipped.
 * 2. The plan version in force at `occurredAt`, merged with the group and enrollment
 *    overrides; for the periods its tiers and bonuses use, the affiliate's counts, read
 *    under a lock per (program, affiliate) held to the commit; the engine's lines, less
 *    bonuses of a period the affiliate already holds.
 * 3. Under the merchant's funds lock: unless the merchant's programs are held for funds
 *    (then the lines wait behind the earlier ones), one createTransfers batch reserves
 *    the lines (prepaid → earnings, prepaid → fee revenue). Lines the balance cannot cover
 *    wait as `awaiting_funds`, the program is held for new commissions, and the merchant's
 *    first hold records `balance.low`.
 * 4. The commission rows, the accrual record and the `commission.created` events.
 */
export async function accrueConversion(prisma: PrismaClient, tenantId: string, conversionId: string): Promise<AccrualOutcome> {
  return withTenant(
    prisma,
    tenantId,
    async (tx) => {
      const subject = await lockAccrualSubject(tx, conversionId);
      const { decided, version } = await accrualStart(tx, subject);
      if (decided) return decidedOutcome(tx, conversionId, decided);
      const skip = skipReason(subject);
      if (skip === 'not_attributed') return { conversionId, status: 'skipped', reason: skip, changed: false, commissions: [] };
      if (skip) return recordSkip(tx, subject, skip);
      if (!version) return recordSkip(tx, subject, 'no_plan');

      const affiliateId = subject.affiliateId!;
      const currency = subject.programCurrency;
      const plan = effectivePlan(version, subject);
      const periods = periodsUsed(plan);
      if (periods.length > 0) await lockAffiliateCounts(tx, subject.programId, affiliateId);
      const periodStats = await periodCounts(tx, { programId: subject.programId, affiliateId, occurredAt: subject.occurredAt }, periods);
      const parentAffiliateId = subject.parentId !== null && subject.parentStatus === 'active' ? subject.parentId : null;
      const result = computeCommissions(plan, engineConversion(subject), { periodStats, parentAffiliateId });
      const lines = await withoutHeldBonuses(tx, subject.programId, affiliateId, result.lines);
      const drafts = lines.map((line) => ({
        commissionId: newId('commission'),
        conversionId,
        kind: line.kind,
        affiliateId: line.beneficiary === 'network' ? null : line.beneficiary === 'parent' ? parentAffiliateId : affiliateId,
        amount: line.amount,
        line,
      }));

      await recordConversionRollup(tx, { conversionId, currency, lines: drafts });
      let reservation: Reservation = { reserved: new Map(), shortfall: null };
      let waitingBehindHold = false;
      let decidedAt = new Date();
      if (drafts.length > 0) {
        const accounts = await commissionAccounts(tx, tenantId, subject.merchantId, currency, drafts);
        await lockMerchantFunds(tx, subject.merchantId, currency);
        const funds = await readFunds(tx, subject.merchantId, currency, accounts.prepaid);
        decidedAt = funds.now;
        waitingBehindHold = funds.held;
        if (!funds.held) reservation = await reserveCommissions(tx, tenantId, currency, accounts, drafts, funds.headroom);
        if (reservation.reserved.size < drafts.length) {
          const hold = {
            tenantId,
            merchantId: subject.merchantId,
            currency,
            programId: subject.programId,
            conversionId,
            needed: drafts.reduce((sum, d) => sum + d.amount, 0n),
            available: reservation.shortfall?.available ?? null,
          };
          await holdProgramForFunds(tx, hold, funds.held, funds.now);
        }
      }

      const holdUntil = new Date(subject.occurredAt.getTime() + subject.holdDays * DAY_MS);
      const commissions: Commission[] = drafts.map(({ commissionId, affiliateId: beneficiary, line }) => {
        const transferId = reservation.reserved.get(commissionId) ?? null;
        return {
          id: commissionId,
          tenantId,
          merchantId: subject.merchantId,
          programId: subject.programId,
          conversionId,
          affiliateId: beneficiary,
          sourceAffiliateId: affiliateId,
          kind: line.kind,
          lineKey: line.key,
          bonusKey: line.bonusKey,
          amount: line.amount,
          currency,
          status: transferId ? 'pending' : 'awaiting_funds',
          rateBps: line.rateBps,
          flat: line.flat,
          tierStep: line.tierStep,
          basis: line.basis,
          planVersionId: version.id,
          pendingTransferId: transferId,
          holdUntil,
          reason: transferId ? null : waitingBehindHold ? 'waiting_behind_funds_hold' : 'insufficient_funds',
          approvedAt: null,
          rejectedAt: null,
          decidedBy: null,
          reversedAmount: 0n,
          createdAt: decidedAt,
          updatedAt: decidedAt,
        };
      });
      await writeAccrual(tx, {
        tenantId,
        conversionId,
        merchantId: subject.merchantId,
        programId: subject.programId,
        affiliateId,
        planVersionId: version.id,
        occurredAt: subject.occurredAt,
        currency,
        holdUntil,
        createdAt: decidedAt,
        merchantTotal: lines.reduce((sum, l) => sum + l.amount, 0n),
        explain: explainOf(result, lines),
        commissions,
      });
      await scheduleEarlierRefunds(tx, subject);
      const waiting = commissions.some((c) => c.status === 'awaiting_funds');
      return { conversionId, status: waiting ? 'awaiting_funds' : 'accrued', reason: null, changed: true, commissions };
    },
    { timeoutMs: 30_000 },
  );
}

export function skipReason(subject: AccrualSubject): AccrualSkipReason | null {
  if (subject.status === 'refunded') return 'refunded';
  if (subject.status === 'rejected') return 'rejected';
  if (subject.attribution === 'pending') return 'not_attributed';
  if (subject.attribution !== 'attributed' || subject.affiliateId === null) return 'unattributed';
  return null;
}

export async function recordSkip(tx: Tx, subject: AccrualSubject, reason: Exclude<AccrualSkipReason, 'not_attributed'>): Promise<AccrualOutcome> {
  await tx.conversionAccrual.create({
    data: {
      conversionId: subject.id,
      tenantId: subject.tenantId,
      merchantId: subject.merchantId,
      programId: subject.programId,
      affiliateId: subject.affiliateId,
      outcome: 'skipped',
      reason,
      occurredAt: subject.occurredAt,
    },
  });
  return { conversionId: subject.id, status: 'skipped', reason, changed: true, commissions: [] };
}

export async function decidedOutcome(tx: Tx, conversionId: string, decided: NonNullable<AccrualStart['decided']>): Promise<AccrualOutcome> {
  const commissions = await tx.commission.findMany({ where: { conversionId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const status = decided.outcome === 'skipped' ? 'skipped' : commissions.some((c) => c.status === 'awaiting_funds') ? 'awaiting_funds' : 'accrued';
  return { conversionId, status, reason: decided.reason as AccrualSkipReason | null, changed: false, commissions };
}

/**
 * A bonus is held once per (program, affiliate, period): the engine crosses a threshold
 * from the counts, and a period whose bonus the affiliate already has (its count went
 * back below the threshold after a refund, and up again) pays no second one — nor its
 * share or fee. Read under the affiliate's counts lock, which every bonus is written under.
 */
export async function withoutHeldBonuses(tx: Tx, programId: string, affiliateId: string, lines: CommissionLine[]): Promise<CommissionLine[]> {
  const keys = [...new Set(lines.flatMap((l) => (l.bonusKey ? [l.bonusKey] : [])))];
  if (keys.length === 0) return lines;
  const held = await tx.commission.findMany({
    where: { programId, sourceAffiliateId: affiliateId, kind: 'bonus', bonusKey: { in: keys } },
    select: { bonusKey: true },
  });
  const heldKeys = new Set(held.map((h) => h.bonusKey));
  return lines.filter((l) => l.bonusKey === null || !heldKeys.has(l.bonusKey));
}

/**
 * A refund applied before the accrual: the accrual pays on what the sale earned, and the
 * reversal job takes back what was refunded — scheduled again now that there are
 * commissions to take it from (the reversal is idempotent per refund).
 */
export async function scheduleEarlierRefunds(tx: Tx, subject: AccrualSubject): Promise<void> {
  if (subject.refundedAmount <= 0n) return;
  const refunds = await tx.conversionRefund.findMany({ where: { conversionId: subject.id, status: 'applied' }, select: { id: true }, orderBy: { id: 'asc' } });
  for (const refund of refunds) await enqueueAfterCommit(tx, subject.tenantId, 'commissions.reverse', { refundId: refund.id });
}

/** The engine's explanation, with the lines kept, as JSON (amounts as strings). */
export function explainOf(result: CommissionResult, kept: CommissionLine[]): Prisma.InputJsonObject {
  const dropped = result.lines.filter((l) => !kept.includes(l)).map((l) => l.key);
  return JSON.parse(
    JSON.stringify({ ...result.explain, lines: kept.map((l) => ({ key: l.key, kind: l.kind, amount: l.amount })), heldBonusLines: dropped }, (_, v) =>
      typeof v === 'bigint' ? v.toString() : v,
    ),
  );
}
