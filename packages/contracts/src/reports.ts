import { z } from 'zod';
import { currencyCode } from './common';

/** How a report splits its rows. `day` gives one row per UTC day of the range. */
export const reportGroupBy = z.enum(['day', 'program', 'affiliate', 'link', 'sub1']);
export type ReportGroupBy = z.infer<typeof reportGroupBy>;

/** The longest range one report covers, in days (both ends included). */
export const REPORT_MAX_DAYS = 366;
/** The range when none is given: this many days ending today (UTC). */
export const REPORT_DEFAULT_DAYS = 30;

const DAY_MS = 86_400_000;

/** A UTC day as YYYY-MM-DD, `days` after (or before, when negative) the given one. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both included (1 when equal). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

const day = z.iso.date({ message: 'must be a calendar date as YYYY-MM-DD' });
const filterId = z.string().min(1).max(200);

export const reportQuery = z
  .object({
    from: day.optional().describe(`first UTC day, included (default: ${REPORT_DEFAULT_DAYS - 1} days before \`to\`)`),
    to: day.optional().describe('last UTC day, included (default: today)'),
    programId: filterId.optional(),
    affiliateId: filterId.optional(),
    linkId: filterId.optional(),
    merchantId: filterId.optional(),
    currency: currencyCode.optional().describe("only programs in this currency; needed when the report's conversions span several currencies"),
    groupBy: reportGroupBy.default('day'),
  })
  .strict()
  .transform((q) => {
    const to = q.to ?? new Date().toISOString().slice(0, 10);
    return { ...q, to, from: q.from ?? addDays(to, -(REPORT_DEFAULT_DAYS - 1)) };
  })
  .superRefine((q, ctx) => {
    if (q.to < q.from) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `must be on or after from (${q.from})` });
    } else if (daysBetween(q.from, q.to) > REPORT_MAX_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `the range may span at most ${REPORT_MAX_DAYS} days (from ${q.from})` });
    }
  });
export type ReportQuery = z.output<typeof reportQuery>;

const count = z.number().int().min(0);

/**
 * The measures of a report row and of its totals. Conversions and money (leads, sales,
 * revenue, commissions, conversionRate, epc) join here, so every grouping and the
 * totals gain them at once.
 */
export const reportMetricsSchema = z.object({
  clicks: count.describe('billable clicks'),
  uniqueClicks: count.describe('billable clicks from visitors not seen before'),
  filteredClicks: count.describe('clicks not counted: bots, HEAD requests, floods, inactive partners'),
  leads: count.describe('leads accrued (attributed, by the day they occurred)'),
  sales: count.describe('sales accrued'),
  revenue: z.number().int().describe('sales amounts, minor units of `currency`'),
  commissions: z.number().int().describe("affiliates' commissions accrued (primary, bonus, second-tier share), minor units"),
  networkFee: z.number().int().optional().describe("the network's fee on them, minor units (network staff and merchants only)"),
  conversionRate: z.number().min(0).describe('(leads + sales) / clicks, rounded half away from zero to 4 decimals (0.0526 = 5.26 %); 0 without clicks'),
  epc: z.number().int().describe('earnings per click: commissions / clicks in minor units, rounded half away from zero; 0 without clicks'),
});

export const reportRowSchema = z
  .object({
    key: z.string().describe('the group: a day (YYYY-MM-DD), a program, affiliate or link id, or a sub1 value; "" for clicks without a link or without sub1'),
    label: z.string().nullable().optional().describe('program name, affiliate name or link code; null when there is none'),
  })
  .extend(reportMetricsSchema.shape);

export const reportSummarySchema = z.object({
  from: z.string().describe('first UTC day, included'),
  to: z.string().describe('last UTC day, included'),
  groupBy: reportGroupBy,
  currency: z.string().nullable().describe('the currency of every amount; null when the report holds no conversions'),
  data: z.array(reportRowSchema).describe('day: every day of the range in order, zero-filled; otherwise the groups with traffic, most clicks first'),
  totals: reportMetricsSchema,
});
