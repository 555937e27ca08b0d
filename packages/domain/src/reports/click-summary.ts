import { addDays, daysBetween, type ReportGroupBy } from '@app/contracts/reports';
import type { Prisma } from '@app/db/generated/prisma/client';
import { type Tx, withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { amountToNumber, roundDiv } from '../shared/money';
import { partnerRowScope } from '../shared/partner-scope';
import { affiliateIdOf } from '../shared/policies';

export interface ClickSummaryInput {
  /** First and last UTC day (YYYY-MM-DD), both included; checked by the contract. */
  from: string;
  to: string;
  groupBy: ReportGroupBy;
  programId?: string;
  affiliateId?: string;
  linkId?: string;
  merchantId?: string;
  currency?: string;
}

/** The measures of a row and of the totals. Conversion and money measures join here. */
export interface ReportMetrics {
  clicks: number;
  uniqueClicks: number;
  filteredClicks: number;
  leads: number;
  sales: number;
  revenue: number;
  commissions: number;
  /** Left out for affiliates. */
  networkFee?: number;
  /** (leads + sales) / clicks to 4 decimals, 0 without clicks. */
  conversionRate: number;
  /** commissions / clicks in minor units, rounded half away from zero, 0 without clicks. */
  epc: number;
}

export interface ReportRow extends ReportMetrics {
  key: string;
  label: string | null;
}

export interface ClickSummary {
  from: string;
  to: string;
  groupBy: ReportGroupBy;
  currency: string | null;
  data: ReportRow[];
  totals: ReportMetrics;
}

/** Click counts as summed by Postgres, before they become JSON numbers. */
interface Counts {
  clicks: bigint;
  uniqueClicks: bigint;
  filteredClicks: bigint;
  leads: bigint;
  sales: bigint;
  revenue: bigint;
  commissions: bigint;
  networkFee: bigint;
}

const NONE: Counts = { clicks: 0n, uniqueClicks: 0n, filteredClicks: 0n, leads: 0n, sales: 0n, revenue: 0n, commissions: 0n, networkFee: 0n };

const COLUMN = { day: 'day', program: 'programId', affiliate: 'affiliateId', link: 'linkId', sub1: 'sub1' } as const;

/**
 * Clicks, unique and filtered clicks, leads, sales, revenue, commissions, the network's
 * fee, conversion rate and EPC over a range of UTC days, from the daily rollups
 * (`click_daily_stats`, `conversion_daily_stats`; never the raw clicks, conversions or
 * commissions), merged by the same keys, split by day, program, affiliate, link or sub1.
 * Money is in one currency: a report whose conversions span several needs `currency`
 * (400 otherwise), which also narrows the clicks to that currency's programs. The
 * network's fee is left out for affiliates.
 *
 * Network staff see the whole network, a merchant's members and secret keys the
 * merchant's programs, an affiliate its own traffic (`partnerRowScope`, as for links and
 * coupons). Filters narrow within that and never widen it: an id the actor may not see —
 * another merchant's program, another affiliate, another network's id — answers an empty
 * report, the same as an id that does not exist, as the lists of links and coupons do.
 * Labels come only for rows already in scope, so they never name something the actor
 * could not look up.
 */
export async function getClickSummary(deps: Deps, actor: Actor, input: ClickSummaryInput): Promise<ClickSummary> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const scope = await partnerRowScope(tx, actor, 'reports');
    const filters: Prisma.ClickDailyStatWhereInput[] = [];
    if (input.programId) filters.push({ programId: input.programId });
    if (input.affiliateId) filters.push({ affiliateId: input.affiliateId });
    if (input.linkId) filters.push({ linkId: input.linkId });
    if (input.merchantId) {
      const programs = await tx.program.findMany({ where: { merchantId: input.merchantId }, select: { id: true } });
      filters.push({ programId: { in: programs.map((p) => p.id) } });
    }
    if (input.currency) {
      const programs = await tx.program.findMany({ where: { currency: input.currency }, select: { id: true } });
      filters.push({ programId: { in: programs.map((p) => p.id) } });
    }
    // tenant_id and the day range lead both the primary key (tenant_id, day, …) and the
    // (tenant_id, affiliate_id, day) index; row-level security checks the tenant again.
    const where: Prisma.ClickDailyStatWhereInput = {
      AND: [{ tenantId: actor.tenantId, day: { gte: utcDay(input.from), lte: utcDay(input.to) } }, scope, ...filters],
    };
    const column = COLUMN[input.groupBy];
    const groups = await tx.clickDailyStat.groupBy({
      by: [column],
      where,
      _sum: { clicks: true, uniqueClicks: true, filteredClicks: true },
    });
    // The conversion rollups are keyed like the click rollups: the same filters apply.
    const money = await tx.conversionDailyStat.groupBy({
      by: [column, 'currency'],
      where: where as Prisma.ConversionDailyStatWhereInput,
      _sum: { leads: true, sales: true, revenue: true, commissions: true, networkFees: true },
    });
    const currencies = [...new Set(money.map((g) => g.currency))].sort();
    if (currencies.length > 1) {
      throw new DomainError('validation_failed', `The report holds conversions in ${currencies.join(', ')}: choose one with currency.`, {
        errors: [{ path: 'querystring.currency', message: `required: the report's conversions are in ${currencies.join(', ')}` }],
      });
    }
    const counts = new Map<string, Counts>();
    const at = (value: unknown) => {
      const key = value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
      let c = counts.get(key);
      if (!c) {
        c = { ...NONE };
        counts.set(key, c);
      }
      return c;
    };
    for (const g of groups) {
      const c = at(g[column]);
      c.clicks = g._sum.clicks ?? 0n;
      c.uniqueClicks = g._sum.uniqueClicks ?? 0n;
      c.filteredClicks = g._sum.filteredClicks ?? 0n;
    }
    for (const g of money) {
      const c = at(g[column]);
      c.leads = g._sum.leads ?? 0n;
      c.sales = g._sum.sales ?? 0n;
      c.revenue = g._sum.revenue ?? 0n;
      c.commissions = g._sum.commissions ?? 0n;
      c.networkFee = g._sum.networkFees ?? 0n;
    }
    const showFee = !affiliateIdOf(actor);

    const keys =
      input.groupBy === 'day'
        ? Array.from({ length: daysBetween(input.from, input.to) }, (_, i) => addDays(input.from, i))
        : [...counts.keys()].sort((a, b) => compareCounts(counts.get(b), counts.get(a)) || (a < b ? -1 : a > b ? 1 : 0));
    const labels = await labelsOf(tx, input.groupBy, keys);
    const data = keys.map((key) => ({ key, label: labels.get(key) ?? null, ...toMetrics(counts.get(key), showFee) }));

    const sum: Counts = { ...NONE };
    for (const c of counts.values()) {
      for (const k of Object.keys(sum) as (keyof Counts)[]) sum[k] += c[k];
    }
    return { from: input.from, to: input.to, groupBy: input.groupBy, currency: currencies[0] ?? null, data, totals: toMetrics(sum, showFee) };
  });
}

function utcDay(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

/** Program names, affiliate names or link codes for the groups; nothing for days and sub1. */
async function labelsOf(tx: Tx, groupBy: ReportGroupBy, keys: string[]): Promise<Map<string, string>> {
  const ids = keys.filter((k) => k !== '');
  if (ids.length === 0) return new Map();
  switch (groupBy) {
    case 'program':
      return new Map((await tx.program.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } })).map((p) => [p.id, p.name]));
    case 'affiliate':
      return new Map((await tx.affiliate.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } })).map((a) => [a.id, a.name]));
    case 'link':
      return new Map((await tx.link.findMany({ where: { id: { in: ids } }, select: { id: true, code: true } })).map((l) => [l.id, l.code]));
    default:
      return new Map();
  }
}

function compareCounts(a: Counts | undefined, b: Counts | undefined): number {
  const x = a?.clicks ?? 0n;
  const y = b?.clicks ?? 0n;
  return x < y ? -1 : x > y ? 1 : 0;
}

function toMetrics(counts: Counts | undefined, showFee: boolean): ReportMetrics {
  const c = counts ?? NONE;
  const metrics: ReportMetrics = {
    clicks: toNumber(c.clicks),
    uniqueClicks: toNumber(c.uniqueClicks),
    filteredClicks: toNumber(c.filteredClicks),
    leads: toNumber(c.leads),
    sales: toNumber(c.sales),
    revenue: amountToNumber(c.revenue),
    commissions: amountToNumber(c.commissions),
    conversionRate: c.clicks > 0n ? Number(roundDiv((c.leads + c.sales) * 10_000n, c.clicks)) / 10_000 : 0,
    epc: c.clicks > 0n ? amountToNumber(roundDiv(c.commissions, c.clicks)) : 0,
  };
  if (showFee) metrics.networkFee = amountToNumber(c.networkFee);
  return metrics;
}

/** A bigint count as a JSON number; a count past 2^53 would lose digits, so it fails loudly. */
function toNumber(value: bigint | undefined): number {
  const v = value ?? 0n;
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`A click count (${v}) is too large to report exactly.`);
  return Number(v);
}
