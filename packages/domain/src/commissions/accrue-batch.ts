import type { PrismaClient } from '@app/db/client';
import type { Commission } from '@app/db/generated/prisma/client';
import { Prisma } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import { type Tx, withTenant } from '@app/db/with-tenant';
import { type AccrualSubject, accrualStart, effectivePlan, engineConversion, lockAccrualSubject, type PlanVersionRef } from './accrual-subject';
import {
  type AccrualOutcome,
  accrueConversion,
  DAY_MS,
  decidedOutcome,
  explainOf,
  recordSkip,
  scheduleEarlierRefunds,
  skipReason,
  withoutHeldBonuses,
} from './accrue-conversion';
import type { CommissionLine, PeriodStats } from './commission-types';
import { computeCommissions } from './compute-commissions';
import { holdProgramForFunds, lockMerchantFunds, readFunds } from './funds-hold';
import { periodCounts } from './period-counts';
import { inPeriod, type PlanPeriod, periodOf, periodsUsed } from './periods';
import { commissionAccounts, type LineToReserve, type Reservation, reserveCommissions } from './reserve-commissions';
import type { AccrualWrite } from './write-accrual';
import { writeAccruals } from './write-accruals';

/** Conversions one accrual transaction takes at most (the job's own included). */
export const ACCRUAL_BATCH_SIZE = 100;

/** Other conversions are taken when they were stored at most this long before the job's own (older ones are stragglers their own jobs accrue). */
const CLAIM_WINDOW = '1 minute';

/**
 * The accrual job, batched (docs/commissions.md, "Batching"): accrues the job's
 * conversion and, in the same transaction, up to `batchSize − 1` other attributed
 * conversions of the same merchant in the same currency that no accrual has decided yet
 * and no other transaction holds (`FOR UPDATE SKIP LOCKED`, oldest first). Their own jobs
 * then find them decided and change nothing.
 *
 * What each conversion gets is what `accrueConversion` would give it, run one after the
 * other in conversion order: the (program, affiliate) counts locks are taken for the
 * whole batch in one fixed order, each pair's counts read once and advanced in memory by
 * the batch's earlier conversions (so a threshold crossed within the batch pays one
 * bonus); then under the merchant's funds lock ONE createTransfers batch reserves every
 * line, conversion by conversion until the balance does not cover one (it and every later
 * one wait behind the hold, in order); then one statement writes every commission row,
 * accrual record and event. A conversion the job's own run would skip, or one already
 * decided, is answered as `accrueConversion` answers it, without a batch.
 */
export async function accrueConversionBatch(
  prisma: PrismaClient,
  tenantId: string,
  conversionId: string,
  options: { batchSize?: number } = {},
): Promise<AccrualOutcome & { batched: number }> {
  const batchSize = options.batchSize ?? ACCRUAL_BATCH_SIZE;
  if (batchSize <= 1) return { ...(await accrueConversion(prisma, tenantId, conversionId)), batched: 1 };
  return withTenant(
    prisma,
    tenantId,
    async (tx) => {
      const subject = await lockAccrualSubject(tx, conversionId);
      const { decided, version } = await accrualStart(tx, subject);
      if (decided) return { ...(await decidedOutcome(tx, conversionId, decided)), batched: 0 };
      const skip = skipReason(subject);
      if (skip === 'not_attributed') return { conversionId, status: 'skipped' as const, reason: skip, changed: false, commissions: [], batched: 0 };
      if (skip) return { ...(await recordSkip(tx, subject, skip)), batched: 1 };
      if (!version) return { ...(await recordSkip(tx, subject, 'no_plan')), batched: 1 };

      const others = await claimOthers(tx, subject, batchSize - 1);
      const batch = [{ subject, version }, ...others].sort((a, b) => (a.subject.id < b.subject.id ? -1 : a.subject.id > b.subject.id ? 1 : 0));
      const outcomes = await accrueBatch(tx, tenantId, batch);
      return { ...outcomes.get(conversionId)!, batched: batch.length };
    },
    { timeoutMs: 60_000 },
  );
}

interface BatchItem {
  subject: AccrualSubject;
  version: PlanVersionRef;
}

/**
 * Up to `limit` other conversions to accrue with the job's: the merchant's, in the same
 * currency, attributed, not refunded or rejected, stored at most CLAIM_WINDOW before the
 * job's conversion, not decided, and not locked by another transaction — locked here
 * (FOR UPDATE SKIP LOCKED) with what `lockAccrualSubject` reads. A conversion an accrual
 * committed while this statement ran is dropped by the second read (the accruals, in a
 * later statement), as is one whose program has no plan version (its own job skips it).
 */
async function claimOthers(tx: Tx, subject: AccrualSubject, limit: number): Promise<BatchItem[]> {
  if (limit <= 0) return [];
  const rows = await tx.$queryRaw<AccrualSubject[]>`
    SELECT c.id, c.tenant_id AS "tenantId", c.merchant_id AS "merchantId", c.program_id AS "programId", c.type, c.status,
           c.attribution, c.amount, c.currency, c.refunded_amount AS "refundedAmount", c.items, c.occurred_at AS "occurredAt",
           c.affiliate_id AS "affiliateId", c.recurring, p.currency AS "programCurrency", p.hold_days AS "holdDays",
           b.bound_at AS "boundAt", g.plan_override AS "groupOverride", e.plan_override AS "enrollmentOverride",
           pa.id AS "parentId", pa.status AS "parentStatus"
      FROM conversions c
      JOIN programs p ON p.id = c.program_id
      LEFT JOIN customer_bindings b ON b.id = c.binding_id
      LEFT JOIN enrollments e ON e.program_id = c.program_id AND e.affiliate_id = c.affiliate_id
      LEFT JOIN program_groups g ON g.id = e.group_id
      LEFT JOIN affiliates a ON a.id = c.affiliate_id
      LEFT JOIN affiliates pa ON pa.id = a.parent_affiliate_id
     WHERE c.tenant_id = ${subject.tenantId} AND c.merchant_id = ${subject.merchantId} AND p.currency = ${subject.programCurrency}
       AND c.created_at >= (SELECT created_at FROM conversions WHERE id = ${subject.id}) - ${CLAIM_WINDOW}::interval
       AND c.id <> ${subject.id} AND c.attribution = 'attributed' AND c.affiliate_id IS NOT NULL AND c.status NOT IN ('refunded', 'rejected')
       AND NOT EXISTS (SELECT 1 FROM conversion_accruals x WHERE x.conversion_id = c.id)
     ORDER BY c.created_at, c.id
     LIMIT ${limit}
       FOR UPDATE OF c SKIP LOCKED`;
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const programIds = [...new Set(rows.map((r) => r.programId))];
  const [decided, versions] = await Promise.all([
    tx.$queryRaw<{ id: string }[]>`SELECT conversion_id AS id FROM conversion_accruals WHERE conversion_id IN (${Prisma.join(ids)})`,
    tx.$queryRaw<(PlanVersionRef & { programId: string; effectiveFrom: Date; version: number })[]>`
      SELECT id, program_id AS "programId", plan, effective_from AS "effectiveFrom", version
        FROM program_plan_versions WHERE program_id IN (${Prisma.join(programIds)})`,
  ]);
  const done = new Set(decided.map((d) => d.id));
  const items: BatchItem[] = [];
  for (const row of rows) {
    if (done.has(row.id)) continue;
    const version = versionAt(
      versions.filter((v) => v.programId === row.programId),
      row.occurredAt,
    );
    if (version) items.push({ subject: row, version: { id: version.id, plan: version.plan } });
  }
  return items;
}

/** As `accrualStart` chooses: the newest version in force at `at` (the later version on a tie), else the program's first. */
function versionAt<V extends { effectiveFrom: Date; version: number }>(versions: V[], at: Date): V | null {
  const t = at.getTime();
  const inForce = versions.filter((v) => v.effectiveFrom.getTime() <= t);
  if (inForce.length > 0) {
    return inForce.reduce((best, v) =>
      v.effectiveFrom.getTime() > best.effectiveFrom.getTime() || (v.effectiveFrom.getTime() === best.effectiveFrom.getTime() && v.version > best.version)
        ? v
        : best,
    );
  }
  const later = versions.filter((v) => v.effectiveFrom.getTime() > t);
  if (later.length === 0) return null;
  return later.reduce((best, v) =>
    v.effectiveFrom.getTime() < best.effectiveFrom.getTime() || (v.effectiveFrom.getTime() === best.effectiveFrom.getTime() && v.version < best.version)
      ? v
      : best,
  );
}

interface Decided {
  item: BatchItem;
  affiliateId: string;
  lines: CommissionLine[];
  explain: ReturnType<typeof explainOf>;
  drafts: (LineToReserve & { line: CommissionLine })[];
}

/** Accrues the batch (locked, attributed, not decided, in conversion order) in the caller's transaction. */
async function accrueBatch(tx: Tx, tenantId: string, batch: BatchItem[]): Promise<Map<string, AccrualOutcome>> {
  const first = batch[0]!.subject;
  const { merchantId } = first;
  const currency = first.programCurrency;
  const plans = batch.map((item) => effectivePlan(item.version, item.subject));

  // The counts locks of every (program, affiliate) the batch reads counts for: one statement, in one order.
  const lockKeys = [
    ...new Set(
      batch.flatMap((item, i) => (periodsUsed(plans[i]!).length > 0 ? [`commissions.counts:${item.subject.programId}:${item.subject.affiliateId}`] : [])),
    ),
  ].sort();
  if (lockKeys.length > 0) {
    await tx.$executeRaw`SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest(${lockKeys}::text[]) WITH ORDINALITY AS u(k, n)`;
  }

  // The engine, conversion by conversion; counts read once per (program, affiliate, periods) and advanced by the batch's own conversions.
  const countsRead = new Map<string, Partial<Record<PlanPeriod, PeriodStats>>>();
  const earlier = new Map<string, { occurredAt: Date; revenue: bigint }[]>();
  const bonusesTaken = new Map<string, Set<string>>();
  const decided: Decided[] = [];
  for (const [i, item] of batch.entries()) {
    const { subject } = item;
    const affiliateId = subject.affiliateId!;
    const pair = `${subject.programId}:${affiliateId}`;
    const plan = plans[i]!;
    const periods = periodsUsed(plan);
    let periodStats: Partial<Record<PlanPeriod, PeriodStats>> = {};
    if (periods.length > 0) {
      const windows = periods.map((p) => periodOf(p, subject.occurredAt));
      const key = `${pair}:${windows.map((w) => w.key).join(',')}`;
      let read = countsRead.get(key);
      if (!read) {
        read = await periodCounts(tx, { programId: subject.programId, affiliateId, occurredAt: subject.occurredAt }, periods);
        countsRead.set(key, read);
      }
      for (const w of windows) {
        const base = read[w.period] ?? { sales: 0, revenue: 0n };
        const mine = (earlier.get(pair) ?? []).filter((e) => inPeriod(w, e.occurredAt));
        periodStats[w.period] = { sales: base.sales + mine.length, revenue: mine.reduce((sum, e) => sum + e.revenue, base.revenue) };
      }
    } else {
      periodStats = {};
    }
    const parentAffiliateId = subject.parentId !== null && subject.parentStatus === 'active' ? subject.parentId : null;
    const result = computeCommissions(plan, engineConversion(subject), { periodStats, parentAffiliateId });
    const taken = bonusesTaken.get(pair) ?? new Set<string>();
    const lines = (await withoutHeldBonuses(tx, subject.programId, affiliateId, result.lines)).filter((l) => l.bonusKey === null || !taken.has(l.bonusKey));
    for (const l of lines) if (l.bonusKey) taken.add(l.bonusKey);
    bonusesTaken.set(pair, taken);
    // This conversion counts for the batch's later ones of the pair, as its accrual record would.
    if (subject.type === 'sale') {
      const list = earlier.get(pair) ?? [];
      list.push({ occurredAt: subject.occurredAt, revenue: (subject.amount ?? 0n) - subject.refundedAmount });
      earlier.set(pair, list);
    }
    decided.push({
      item,
      affiliateId,
      lines,
      explain: explainOf(result, lines),
      drafts: lines.map((line) => ({
        commissionId: newId('commission'),
        conversionId: subject.id,
        kind: line.kind,
        affiliateId: line.beneficiary === 'network' ? null : line.beneficiary === 'parent' ? parentAffiliateId : affiliateId,
        amount: line.amount,
        line,
      })),
    });
  }

  await recordConversionRollups(
    tx,
    currency,
    decided.map((d) => ({ conversionId: d.item.subject.id, lines: d.drafts })),
  );

  const drafts = decided.flatMap((d) => d.drafts);
  let reservation: Reservation = { reserved: new Map(), shortfall: null };
  let merchantWasHeld = false;
  let decidedAt = new Date();
  if (drafts.length > 0) {
    const accounts = await commissionAccounts(tx, tenantId, merchantId, currency, drafts);
    await lockMerchantFunds(tx, merchantId, currency);
    let funds = await readFunds(tx, merchantId, currency, accounts.prepaid);
    decidedAt = funds.now;
    merchantWasHeld = funds.held;
    if (!funds.held) {
      // A line the ledger refuses although the headroom read covered it (a concurrent
      // withdrawal) would let later conversions of the batch jump ahead of it: undo the
      // batch's transfers and reserve again with the headroom read anew.
      for (let attempt = 0; ; attempt++) {
        await tx.$executeRaw`SAVEPOINT accrual_reserve`;
        reservation = await reserveCommissions(tx, tenantId, currency, accounts, drafts, funds.headroom);
        if (isPrefix(decided, reservation) || attempt >= 2) break;
        await tx.$executeRaw`ROLLBACK TO SAVEPOINT accrual_reserve`;
        funds = await readFunds(tx, merchantId, currency, accounts.prepaid);
      }
    }
  }

  // Lines that wait: the first conversion that did not fit holds its program (and records balance.low when the merchant had no hold); the rest wait behind it.
  let firstWaiting: Decided | null = null;
  const heldPrograms = new Set<string>();
  for (const d of decided) {
    if (d.drafts.every((draft) => reservation.reserved.has(draft.commissionId))) continue;
    if (!firstWaiting) {
      firstWaiting = d;
      await holdProgramForFunds(
        tx,
        {
          tenantId,
          merchantId,
          currency,
          programId: d.item.subject.programId,
          conversionId: d.item.subject.id,
          needed: d.drafts.reduce((sum, x) => sum + x.amount, 0n),
          available: merchantWasHeld ? null : (reservation.shortfall?.available ?? null),
        },
        merchantWasHeld,
        decidedAt,
      );
      heldPrograms.add(d.item.subject.programId);
    } else if (!heldPrograms.has(d.item.subject.programId)) {
      await holdProgramForFunds(
        tx,
        { tenantId, merchantId, currency, programId: d.item.subject.programId, conversionId: d.item.subject.id, needed: 0n, available: null },
        true,
        decidedAt,
      );
      heldPrograms.add(d.item.subject.programId);
    }
  }

  const outcomes = new Map<string, AccrualOutcome>();
  const writes: AccrualWrite[] = [];
  for (const d of decided) {
    const { subject, version } = d.item;
    const holdUntil = new Date(subject.occurredAt.getTime() + subject.holdDays * DAY_MS);
    const behindHold = merchantWasHeld || (firstWaiting !== null && firstWaiting !== d);
    const commissions: Commission[] = d.drafts.map(({ commissionId, affiliateId: beneficiary, line }) => {
      const transferId = reservation.reserved.get(commissionId) ?? null;
      return {
        id: commissionId,
        tenantId,
        merchantId,
        programId: subject.programId,
        conversionId: subject.id,
        affiliateId: beneficiary,
        sourceAffiliateId: d.affiliateId,
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
        reason: transferId ? null : behindHold ? 'waiting_behind_funds_hold' : 'insufficient_funds',
        approvedAt: null,
        rejectedAt: null,
        decidedBy: null,
        reversedAmount: 0n,
        createdAt: decidedAt,
        updatedAt: decidedAt,
      };
    });
    writes.push({
      tenantId,
      conversionId: subject.id,
      merchantId,
      programId: subject.programId,
      affiliateId: d.affiliateId,
      planVersionId: version.id,
      occurredAt: subject.occurredAt,
      currency,
      holdUntil,
      createdAt: decidedAt,
      merchantTotal: d.lines.reduce((sum, l) => sum + l.amount, 0n),
      explain: d.explain,
      commissions,
    });
    const waiting = commissions.some((c) => c.status === 'awaiting_funds');
    outcomes.set(subject.id, { conversionId: subject.id, status: waiting ? 'awaiting_funds' : 'accrued', reason: null, changed: true, commissions });
  }
  await writeAccruals(tx, tenantId, writes);
  for (const d of decided) await scheduleEarlierRefunds(tx, d.item.subject);
  return outcomes;
}

/** Whether the reserved lines are whole conversions from the start of the batch (no conversion half reserved, none after a waiting one). */
function isPrefix(decided: Decided[], reservation: Reservation): boolean {
  let open = true;
  for (const d of decided) {
    const reserved = d.drafts.filter((x) => reservation.reserved.has(x.commissionId)).length;
    if (reserved === 0 && d.drafts.length > 0) open = false;
    else if (reserved > 0 && (!open || reserved < d.drafts.length)) return false;
  }
  return true;
}

/**
 * `recordConversionRollup` for the batch in one statement: each conversion's lead or sale,
 * revenue, affiliate commissions and network fees added to its day's row, rows summed per
 * key first and written in key order (two batches touching the same rows lock them in
 * the same order).
 */
async function recordConversionRollups(
  tx: Tx,
  currency: string,
  items: { conversionId: string; lines: readonly { kind: string; amount: bigint }[] }[],
): Promise<void> {
  if (items.length === 0) return;
  const rows = items.map(({ conversionId, lines }) => {
    let commissions = 0n;
    let networkFees = 0n;
    for (const line of lines) {
      if (line.kind === 'network_fee') networkFees += line.amount;
      else commissions += line.amount;
    }
    return { conversion_id: conversionId, commissions: commissions.toString(), network_fees: networkFees.toString() };
  });
  await tx.$executeRaw`
    INSERT INTO conversion_daily_stats AS s
           (tenant_id, day, program_id, affiliate_id, link_id, sub1, currency, leads, sales, revenue, commissions, network_fees)
    SELECT c.tenant_id, (c.occurred_at AT TIME ZONE 'UTC')::date AS day, c.program_id, c.affiliate_id, coalesce(c.link_id, '') AS link_id,
           coalesce(c.sub1, '') AS sub1, ${currency}, count(*) FILTER (WHERE c.type = 'lead')::int, count(*) FILTER (WHERE c.type = 'sale')::int,
           coalesce(sum(CASE WHEN c.type = 'sale' THEN coalesce(c.amount, 0) ELSE 0 END), 0)::bigint, sum(r.commissions)::bigint, sum(r.network_fees)::bigint
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(conversion_id text, commissions bigint, network_fees bigint)
      JOIN conversions c ON c.id = r.conversion_id
     WHERE c.affiliate_id IS NOT NULL
     GROUP BY 1, 2, 3, 4, 5, 6
     ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (tenant_id, day, program_id, affiliate_id, link_id, sub1) DO UPDATE
       SET leads = s.leads + EXCLUDED.leads, sales = s.sales + EXCLUDED.sales, revenue = s.revenue + EXCLUDED.revenue,
           commissions = s.commissions + EXCLUDED.commissions, network_fees = s.network_fees + EXCLUDED.network_fees`;
}
