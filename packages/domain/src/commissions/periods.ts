import type { CommissionPlan } from '@app/contracts/commission-plans';

/**
 * The periods that tiers and bonuses count in: UTC calendar months, quarters and years,
 * and `lifetime` (one period). The accrual job counts an affiliate's sales and revenue
 * with these same boundaries, so the engine and the counts never disagree about which
 * period a conversion falls in.
 */

export type PlanPeriod = 'month' | 'quarter' | 'year' | 'lifetime';
export type PlanMetric = 'sales' | 'revenue';

export interface PeriodWindow {
  period: PlanPeriod;
  /** `2026-03`, `2026-Q1`, `2026`, or `lifetime`; part of a bonus's idempotency key. */
  key: string;
  /** Inclusive start (UTC); null for lifetime. */
  start: Date | null;
  /** Exclusive end (UTC); null for lifetime. */
  end: Date | null;
}

const year4 = (y: number) => String(y).padStart(4, '0');

/** The UTC calendar period of the given kind that contains `at`. */
export function periodOf(period: PlanPeriod, at: Date): PeriodWindow {
  if (Number.isNaN(at.getTime())) throw new Error('periodOf: invalid date');
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  switch (period) {
    case 'month':
      return { period, key: `${year4(y)}-${String(m + 1).padStart(2, '0')}`, start: utc(y, m), end: utc(y, m + 1) };
    case 'quarter': {
      const q = Math.floor(m / 3);
      return { period, key: `${year4(y)}-Q${q + 1}`, start: utc(y, q * 3), end: utc(y, q * 3 + 3) };
    }
    case 'year':
      return { period, key: year4(y), start: utc(y, 0), end: utc(y + 1, 0) };
    case 'lifetime':
      return { period, key: 'lifetime', start: null, end: null };
  }
}

function utc(year: number, month: number): Date {
  // setUTCFullYear, unlike Date.UTC, keeps years 0–99 as they are; a month of 12 rolls into the next year.
  const d = new Date(0);
  d.setUTCFullYear(year, month, 1);
  return d;
}

/** Whether `at` lies in the window (start inclusive, end exclusive). */
export function inPeriod(window: PeriodWindow, at: Date): boolean {
  const t = at.getTime();
  return (window.start === null || t >= window.start.getTime()) && (window.end === null || t < window.end.getTime());
}

/** The periods whose counts the plan's tiers and bonuses need, each once, in a fixed order. */
export function periodsUsed(plan: CommissionPlan): PlanPeriod[] {
  const used = new Set<PlanPeriod>();
  if (plan.tiers && plan.sale) used.add(plan.tiers.period);
  for (const bonus of plan.bonuses ?? []) used.add(bonus.period);
  return (['month', 'quarter', 'year', 'lifetime'] as const).filter((p) => used.has(p));
}

/**
 * What one conversion adds to its affiliate's period counts: a sale counts 1 and its
 * amount (program currency); a lead counts nothing. The accrual job must count earlier
 * conversions the same way.
 */
export function conversionContribution(conversion: { type: 'lead' | 'sale'; amount: bigint | null }): { sales: number; revenue: bigint } {
  if (conversion.type !== 'sale') return { sales: 0, revenue: 0n };
  return { sales: 1, revenue: conversion.amount ?? 0n };
}
