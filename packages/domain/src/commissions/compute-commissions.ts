import type { CommissionPlan } from '@app/contracts/commission-plans';
import { bindingExpiry } from '../attribution/attribution-rules';
import { DomainError } from '../shared/errors';
import type { BonusCheck, CommissionContext, CommissionConversion, CommissionExplain, CommissionLine, CommissionResult, PeriodStats } from './commission-types';
import { conversionContribution, type PlanMetric, type PlanPeriod, periodOf } from './periods';
import { type PricedSale, percentOf, priceSale, type Rate } from './price-sale';

/**
 * The commission engine: the lines one attributed conversion earns under a plan — the
 * affiliate's primary commission, milestone bonuses it crosses, the parent's two-tier
 * share of each, and the network's fee charged to the merchant. Pure: the caller passes
 * the plan version in force at `occurredAt`, merged with `mergePlans(program, group,
 * enrollment)`, and the affiliate's period counts before this conversion.
 * docs/commission-plans.md, "How the engine computes a commission", states every rule.
 */
export function computeCommissions(plan: CommissionPlan, conversion: CommissionConversion, context: CommissionContext): CommissionResult {
  checkConversion(conversion);
  const contribution = conversionContribution(conversion);
  const explain: CommissionExplain = {
    type: conversion.type,
    rate: 'none',
    recurring: 'not_recurring',
    recurringEndsAt: null,
    tier: null,
    parts: [],
    saleFlat: 0n,
    bonuses: [],
    contribution,
  };

  const lines: CommissionLine[] = [];
  const fee = plan.networkFee;
  const shareOf = (child: CommissionLine, key: string): CommissionLine | null =>
    context.parentAffiliateId !== null && plan.secondTierBps
      ? line('second_tier', 'parent', percentOf(child.amount, plan.secondTierBps), child.amount, plan.secondTierBps, 0n, key, child.bonusKey)
      : null;

  // The conversion's own lines: unique per (conversion, key).
  const primary = primaryCommission(plan, conversion, context, explain);
  const primaryShare = shareOf(primary, 'second_tier');
  lines.push(primary);
  if (primaryShare) lines.push(primaryShare);
  if (fee) {
    const basis = fee.of === 'commission' ? primary.amount + (primaryShare?.amount ?? 0n) : conversion.type === 'sale' ? conversion.amount! : 0n;
    const flat = BigInt(fee.flat ?? 0);
    lines.push(line('network_fee', 'network', percentOf(basis, fee.percentBps) + flat, basis, fee.percentBps, flat, 'network_fee', null));
  }

  // Bonuses and the lines derived from them: unique per (program, affiliate, key).
  for (const check of bonusChecks(plan, context, contribution, conversion.occurredAt)) {
    explain.bonuses.push(check);
    if (!check.crossed) continue;
    const amount = BigInt(plan.bonuses![check.index]!.amount);
    const bonus = line('bonus', 'affiliate', amount, 0n, null, amount, check.key, check.key);
    const share = shareOf(bonus, `second_tier:${check.key}`);
    lines.push(bonus);
    if (share) lines.push(share);
    if (fee?.of === 'commission') {
      const basis = bonus.amount + (share?.amount ?? 0n);
      lines.push(line('network_fee', 'network', percentOf(basis, fee.percentBps), basis, fee.percentBps, 0n, `network_fee:${check.key}`, check.key));
    }
  }

  const kept = lines.filter((l) => l.amount > 0n);
  return {
    currency: conversion.currency,
    lines: kept,
    networkFee: kept.filter((l) => l.kind === 'network_fee').reduce((sum, l) => sum + l.amount, 0n),
    merchantTotal: kept.reduce((sum, l) => sum + l.amount, 0n),
    explain,
  };
}

function line(
  kind: CommissionLine['kind'],
  beneficiary: CommissionLine['beneficiary'],
  amount: bigint,
  basis: bigint,
  rateBps: number | null,
  flat: bigint,
  key: string,
  bonusKey: string | null,
): CommissionLine {
  return { kind, beneficiary, amount, basis, rateBps, flat, tierStep: null, key, bonusKey };
}

/** The affiliate's commission for the conversion itself: lead, sale (tier, items) or recurring sale. */
function primaryCommission(plan: CommissionPlan, conversion: CommissionConversion, context: CommissionContext, explain: CommissionExplain): CommissionLine {
  if (conversion.type === 'lead') {
    const flat = BigInt(plan.lead?.flat ?? 0);
    explain.rate = plan.lead ? 'lead' : 'none';
    if (plan.lead) explain.parts.push({ source: 'lead', sku: null, quantity: 1, total: 0n, basis: 0n, rateBps: null, flat, amount: flat });
    return line('primary', 'affiliate', flat, 0n, null, flat, 'primary', null);
  }

  const amount = conversion.amount!;
  let base: Rate | null = plan.sale ?? null;
  let tierStep: number | null = null;
  explain.rate = base ? 'sale' : 'none';

  if (conversion.recurring && plan.recurring) {
    const months = plan.recurring.months;
    const endsAt = months === null ? null : bindingExpiry(boundAtOf(conversion), months);
    explain.recurring = endsAt === null ? 'lifetime' : conversion.occurredAt < endsAt ? 'active' : 'expired';
    explain.recurringEndsAt = endsAt;
    if (explain.recurring === 'expired') {
      // Past the recurring window the customer's sales earn nothing (the recurring rate replaced the sale rate only for its months).
      explain.rate = 'none';
      return line('primary', 'affiliate', 0n, amount, null, 0n, 'primary', null);
    }
    base = plan.recurring;
    explain.rate = 'recurring';
  } else {
    if (conversion.recurring) explain.recurring = 'no_rate';
    if (plan.sale && plan.tiers) {
      const { metric, period, steps } = plan.tiers;
      const window = periodOf(period, conversion.occurredAt);
      const reached = metricOf(metric, statsFor(context, period));
      tierStep = steps.findLastIndex((s) => BigInt(s.from) <= reached);
      base = steps[tierStep]!;
      explain.rate = 'tier';
      explain.tier = { metric, period, periodKey: window.key, reached, step: tierStep };
    }
  }

  const priced: PricedSale = priceSale(amount, conversion.items, plan.items ?? [], base);
  explain.parts = priced.parts;
  explain.saleFlat = priced.saleFlat;
  const primary = line('primary', 'affiliate', priced.amount, amount, base?.percentBps ?? null, priced.saleFlat + sumFlat(priced), 'primary', null);
  primary.tierStep = tierStep;
  return primary;
}

function sumFlat(priced: PricedSale): bigint {
  return priced.parts.reduce((sum, p) => sum + p.flat, 0n);
}

/**
 * Each bonus crosses when this conversion takes the period's count or revenue from below
 * its threshold to at or above it: before < threshold ≤ before + this conversion.
 * Key: `bonus:<metric>:<period>:<threshold>:<periodKey>` — (metric, period, threshold) is
 * unique within a plan and stays the same across plan versions, unlike a list index.
 */
function bonusChecks(plan: CommissionPlan, context: CommissionContext, contribution: { sales: number; revenue: bigint }, occurredAt: Date): BonusCheck[] {
  return (plan.bonuses ?? []).map((bonus, index) => {
    const periodKey = periodOf(bonus.period, occurredAt).key;
    const before = metricOf(bonus.metric, statsFor(context, bonus.period));
    const after = before + (bonus.metric === 'sales' ? BigInt(contribution.sales) : contribution.revenue);
    const threshold = BigInt(bonus.threshold);
    return {
      index,
      key: `bonus:${bonus.metric}:${bonus.period}:${bonus.threshold}:${periodKey}`,
      metric: bonus.metric,
      period: bonus.period,
      periodKey,
      threshold,
      before,
      after,
      crossed: before < threshold && threshold <= after,
    };
  });
}

function metricOf(metric: PlanMetric, stats: PeriodStats): bigint {
  return metric === 'sales' ? BigInt(stats.sales) : stats.revenue;
}

function statsFor(context: CommissionContext, period: PlanPeriod): PeriodStats {
  const stats = context.periodStats[period];
  if (!stats) throw invalid(`periodStats.${period}`, `The plan counts per ${period}, but no ${period} counts were given.`);
  if (!Number.isSafeInteger(stats.sales) || stats.sales < 0) throw invalid(`periodStats.${period}.sales`, 'The sales count must be a non-negative integer.');
  if (stats.revenue < 0n) throw invalid(`periodStats.${period}.revenue`, 'The revenue must not be negative.');
  return stats;
}

function boundAtOf(conversion: CommissionConversion): Date {
  if (!conversion.boundAt) throw invalid('boundAt', 'A recurring sale under a plan with recurring months needs the date the customer was bound.');
  return conversion.boundAt;
}

function checkConversion(conversion: CommissionConversion): void {
  if (conversion.type === 'sale' && conversion.amount === null) throw invalid('amount', 'A sale needs an amount.');
  if (conversion.amount !== null && conversion.amount < 0n) throw invalid('amount', 'The amount must not be negative.');
  if (Number.isNaN(conversion.occurredAt.getTime())) throw invalid('occurredAt', 'occurredAt is not a valid date.');
  conversion.items.forEach((item, i) => {
    if (item.amount < 0n) throw invalid(`items.${i}.amount`, 'An item amount must not be negative.');
    if (!Number.isSafeInteger(item.quantity) || item.quantity < 1) throw invalid(`items.${i}.quantity`, 'An item quantity must be a positive integer.');
  });
}

function invalid(path: string, message: string): DomainError {
  return new DomainError('validation_failed', message, { errors: [{ path, message }] });
}
