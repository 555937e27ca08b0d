import { addDays, daysBetween, type ReportGroupBy } from '@app/contracts/reports';
import type { Prisma } from '@app/db/generated/prisma/client';
import { type Tx, withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { partnerRowScope } from '../shared/partner-scope';

export interface ClickSummaryInput {
  /** First and last UTC day (YYYY-MM-DD), both included; checked by the contract. */
  from: string;
  to: string;
  groupBy: ReportGroupBy;
  programId?: string;
  affiliateId?: string;
  linkId?: string;
  merchantId?: string;
}

/** The measures of a row and of the totals. Conversion and money measures join here. */
export interface ReportMetrics {
  clicks: number;
  uniqueClicks: number;
  filteredClicks: number;
}

export interface ReportRow extends ReportMetrics {
  key: string;
  label: string | null;
}

export interface ClickSummary {
  from: string;
  to: string;
  groupBy: ReportGroupBy;
  data: ReportRow[];
  totals: ReportMetrics;
}

/** Click counts as summed by Postgres, before they become JSON numbers. */
interface Counts {
  clicks: bigint;
  uniqueClicks: bigint;
  filteredClicks: bigint;
}

const COLUMN = { day: 'day', program: 'programId', affiliate: 'affiliateId', link: 'linkId', sub1: 'sub1' } as const;

/**
 * Clicks, unique and filtered clicks over a range of UTC days, from the daily rollups
 * (never the raw clicks), split by day, program, affiliate, link or sub1.
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
    const counts = new Map<string, Counts>();
    for (const g of groups) {
      const value = g[column];
      const key = value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
      counts.set(key, { clicks: g._sum.clicks ?? 0n, uniqueClicks: g._sum.uniqueClicks ?? 0n, filteredClicks: g._sum.filteredClicks ?? 0n });
    }

    const keys =
      input.groupBy === 'day'
        ? Array.from({ length: daysBetween(input.from, input.to) }, (_, i) => addDays(input.from, i))
        : [...counts.keys()].sort((a, b) => compareCounts(counts.get(b), counts.get(a)) || (a < b ? -1 : a > b ? 1 : 0));
    const labels = await labelsOf(tx, input.groupBy, keys);
    const data = keys.map((key) => ({ key, label: labels.get(key) ?? null, ...toMetrics(counts.get(key)) }));

    const sum: Counts = { clicks: 0n, uniqueClicks: 0n, filteredClicks: 0n };
    for (const c of counts.values()) {
      sum.clicks += c.clicks;
      sum.uniqueClicks += c.uniqueClicks;
      sum.filteredClicks += c.filteredClicks;
    }
    return { from: input.from, to: input.to, groupBy: input.groupBy, data, totals: toMetrics(sum) };
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

function toMetrics(c: Counts | undefined): ReportMetrics {
  return { clicks: toNumber(c?.clicks), uniqueClicks: toNumber(c?.uniqueClicks), filteredClicks: toNumber(c?.filteredClicks) };
}

/** A bigint count as a JSON number; a count past 2^53 would lose digits, so it fails loudly. */
function toNumber(value: bigint | undefined): number {
  const v = value ?? 0n;
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`A click count (${v}) is too large to report exactly.`);
  return Number(v);
}
