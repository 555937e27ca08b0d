import { type CommissionPlan, commissionPlanSchema } from '@app/contracts/commission-plans';
import type { CommissionContext, CommissionConversion, CommissionResult, PeriodStats } from './commission-types';
import { computeCommissions } from './compute-commissions';
import type { PlanPeriod } from './periods';

/** Builders for the engine's tests. Plans go through the real schema, so every example is a plan a merchant could save. */

export const AT = new Date('2026-03-15T10:00:00.000Z');

export const plan = (p: unknown): CommissionPlan => commissionPlanSchema.parse(p);

export function sale(amount: bigint, extra: Partial<CommissionConversion> = {}): CommissionConversion {
  return { type: 'sale', amount, currency: 'EUR', items: [], occurredAt: AT, recurring: false, boundAt: null, ...extra };
}

export function lead(extra: Partial<CommissionConversion> = {}): CommissionConversion {
  return { type: 'lead', amount: null, currency: 'EUR', items: [], occurredAt: AT, recurring: false, boundAt: null, ...extra };
}

const zero: PeriodStats = { sales: 0, revenue: 0n };

/** Counts for every period (zero unless given), and no parent unless given. */
export function context(stats: Partial<Record<PlanPeriod, Partial<PeriodStats>>> = {}, parentAffiliateId: string | null = null): CommissionContext {
  const periodStats: Partial<Record<PlanPeriod, PeriodStats>> = {};
  for (const p of ['month', 'quarter', 'year', 'lifetime'] as const) periodStats[p] = { ...zero, ...stats[p] };
  return { periodStats, parentAffiliateId };
}

/** The result's lines as { key: amount }. */
export function byKey(result: CommissionResult): Record<string, bigint> {
  return Object.fromEntries(result.lines.map((l) => [l.key, l.amount]));
}

export function run(p: unknown, conversion: CommissionConversion, ctx: CommissionContext = context()): CommissionResult {
  return computeCommissions(plan(p), conversion, ctx);
}

/** The primary commission's amount, 0n when the line was left out. */
export function primaryOf(result: CommissionResult): bigint {
  return result.lines.find((l) => l.kind === 'primary')?.amount ?? 0n;
}
