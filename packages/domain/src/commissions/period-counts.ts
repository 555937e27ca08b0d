import { Prisma } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import type { PeriodStats } from './commission-types';
import { type PlanPeriod, periodOf } from './periods';

/**
 * An affiliate's counts in a program for the periods a plan's tiers and bonuses use,
 * before the conversion being accrued.
 *
 * The counts are the conversions the accrual job has already accrued for the affiliate in
 * the program (`conversion_accruals`, outcome `accrued`) whose `occurredAt` lies in the
 * period (`periodOf`, the engine's own boundaries): each sale counts 1 and its amount less
 * what was refunded of it; leads count nothing (`conversionContribution`); refunded and
 * rejected conversions no longer count.
 *
 * Accruals of one (program, affiliate) are serialised by `lockAffiliateCounts`, taken
 * before the counts are read and held until the accrual commits, so each accrual counts
 * every one decided before it and exactly one of them takes a count across a bonus
 * threshold — two conversions crossing it at once pay one bonus.
 */
export async function lockAffiliateCounts(tx: Tx, programId: string, affiliateId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`commissions.counts:${programId}:${affiliateId}`}, 0))`;
}

/** Read after `lockAffiliateCounts`, in a later statement (so it sees what the previous holder committed). */
export async function periodCounts(
  tx: Tx,
  subject: { programId: string; affiliateId: string; occurredAt: Date },
  periods: readonly PlanPeriod[],
): Promise<Partial<Record<PlanPeriod, PeriodStats>>> {
  if (periods.length === 0) return {};
  const windows = periods.map((p) => periodOf(p, subject.occurredAt));
  const inWindow = (w: (typeof windows)[number]) =>
    w.start === null ? Prisma.sql`true` : Prisma.sql`a.occurred_at >= ${w.start} AND a.occurred_at < ${w.end}`;
  const columns = windows.map(
    (w) => Prisma.sql`count(*) FILTER (WHERE ${inWindow(w)})::int AS ${Prisma.raw(`"sales_${w.period}"`)},
      coalesce(sum(c.amount - c.refunded_amount) FILTER (WHERE ${inWindow(w)}), 0)::bigint AS ${Prisma.raw(`"revenue_${w.period}"`)}`,
  );
  // One scan bounded by the widest window (none for lifetime).
  const bounded = windows.every((w) => w.start !== null);
  const from = bounded ? new Date(Math.min(...windows.map((w) => w.start!.getTime()))) : null;
  const to = bounded ? new Date(Math.max(...windows.map((w) => w.end!.getTime()))) : null;
  const [row] = await tx.$queryRaw<Record<string, number | bigint>[]>`
    SELECT ${Prisma.join(columns)}
      FROM conversion_accruals a JOIN conversions c ON c.id = a.conversion_id
     WHERE a.program_id = ${subject.programId} AND a.affiliate_id = ${subject.affiliateId} AND a.outcome = 'accrued'
       AND c.type = 'sale' AND c.status NOT IN ('refunded', 'rejected')
       ${bounded ? Prisma.sql`AND a.occurred_at >= ${from} AND a.occurred_at < ${to}` : Prisma.empty}`;
  const stats: Partial<Record<PlanPeriod, PeriodStats>> = {};
  for (const w of windows) stats[w.period] = { sales: Number(row![`sales_${w.period}`]), revenue: BigInt(row![`revenue_${w.period}`]!) };
  return stats;
}
