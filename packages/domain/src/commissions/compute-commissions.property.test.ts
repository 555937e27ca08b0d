import { type CommissionPlan, commissionPlanSchema } from '@app/contracts/commission-plans';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommissionConversion, CommissionItem, PeriodStats } from './commission-types';
import { computeCommissions } from './compute-commissions';
import { conversionContribution, type PlanPeriod, periodOf } from './periods';

const AT = new Date('2026-03-15T10:00:00.000Z');
const bps = fc.integer({ min: 0, max: 10_000 });
const flat = fc.integer({ min: 0, max: 1_000_000 });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const rate = fc.record({ percentBps: optional(bps), flat: optional(flat) }).filter((r) => r.percentBps !== undefined || r.flat !== undefined);
const period = fc.constantFrom<PlanPeriod>('month', 'quarter', 'year', 'lifetime');
const metric = fc.constantFrom('sales' as const, 'revenue' as const);
const skus = ['A', 'B', 'C', 'D'];
const categories = ['shoes', 'hats', 'B'];

const itemRates = fc.uniqueArray(
  fc.record({ match: fc.oneof(fc.record({ sku: fc.constantFrom(...skus) }), fc.record({ category: fc.constantFrom(...categories) })), rate }),
  { maxLength: 5, selector: (r) => JSON.stringify(r.match) },
);

const tiers = fc.record({
  metric,
  period,
  steps: fc
    .uniqueArray(fc.integer({ min: 1, max: 2_000_000 }), { maxLength: 4 })
    .chain((froms) => fc.tuple(...[0, ...froms.sort((a, b) => a - b)].map((from) => rate.map((r) => ({ from, ...r }))))),
});

const bonuses = fc.uniqueArray(
  fc.record({ metric, period, threshold: fc.integer({ min: 1, max: 2_000_000 }), amount: fc.integer({ min: 1, max: 1_000_000 }) }),
  {
    maxLength: 4,
    selector: (b) => `${b.metric}|${b.period}|${b.threshold}`,
  },
);

/** Any valid plan: every key may be there or not. */
const anyPlan: fc.Arbitrary<CommissionPlan> = fc
  .record({
    lead: optional(fc.record({ flat })),
    sale: optional(rate),
    recurring: optional(fc.record({ percentBps: bps, flat: optional(flat), months: fc.option(fc.integer({ min: 1, max: 120 }), { nil: null }) })),
    items: optional(itemRates.map((xs) => xs.map((x) => ({ match: x.match, ...x.rate })))),
    tiers: optional(tiers),
    bonuses: optional(bonuses),
    secondTierBps: optional(bps),
    networkFee: optional(fc.record({ percentBps: bps, of: fc.constantFrom('commission' as const, 'sale' as const), flat: optional(flat) })),
  })
  .map((p) => JSON.parse(JSON.stringify(p)))
  .filter((p) => commissionPlanSchema.safeParse(p).success)
  .map((p) => commissionPlanSchema.parse(p));

const items: fc.Arbitrary<CommissionItem[]> = fc.array(
  fc.record({
    sku: fc.constantFrom(...skus, 'Z'),
    category: optional(fc.constantFrom(...categories)),
    amount: fc.bigInt({ min: 0n, max: 10n ** 9n }),
    quantity: fc.integer({ min: 1, max: 1_000 }),
  }),
  { maxLength: 6 },
);

const anyConversion: fc.Arbitrary<CommissionConversion> = fc.record({
  type: fc.constantFrom('lead' as const, 'sale' as const),
  amount: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  currency: fc.constantFrom('EUR', 'JPY', 'KWD'),
  items,
  occurredAt: fc.constant(AT),
  recurring: fc.boolean(),
  boundAt: fc.date({ min: new Date('2010-01-01T00:00:00Z'), max: AT, noInvalidDate: true }),
});

const stats = fc.record({ sales: fc.integer({ min: 0, max: 3_000_000 }), revenue: fc.bigInt({ min: 0n, max: 10n ** 13n }) });
const anyContext = fc.record({
  periodStats: fc.record({ month: stats, quarter: stats, year: stats, lifetime: stats }),
  parentAffiliateId: fc.option(fc.constant('aff_parent'), { nil: null }),
});

describe('engine invariants (property-based)', () => {
  it('lines are positive integers with unique keys; totals add up; shares never exceed what they share', () => {
    fc.assert(
      fc.property(anyPlan, anyConversion, anyContext, (plan, conversion, context) => {
        const result = computeCommissions(plan, conversion, context);
        const keys = result.lines.map((l) => l.key);
        expect(new Set(keys).size).toBe(keys.length);
        for (const l of result.lines) {
          expect(typeof l.amount).toBe('bigint');
          expect(l.amount > 0n).toBe(true);
          if (l.kind === 'second_tier') expect(l.amount <= l.basis).toBe(true);
          if (l.kind === 'network_fee') expect(l.amount <= l.basis + l.flat).toBe(true);
          expect(l.beneficiary).toBe(l.kind === 'second_tier' ? 'parent' : l.kind === 'network_fee' ? 'network' : 'affiliate');
        }
        expect(result.networkFee).toBe(result.lines.filter((l) => l.kind === 'network_fee').reduce((s, l) => s + l.amount, 0n));
        expect(result.merchantTotal).toBe(result.lines.reduce((s, l) => s + l.amount, 0n));
        expect(computeCommissions(plan, conversion, context)).toEqual(result);
      }),
      { numRuns: 500 },
    );
  });

  it('each priced part is within half a unit of its exact percentage', () => {
    fc.assert(
      fc.property(anyPlan, anyConversion, anyContext, (plan, conversion, context) => {
        for (const part of computeCommissions(plan, conversion, context).explain.parts) {
          const exact = part.basis * BigInt(part.rateBps ?? 0); // × 10000
          const diff = (part.amount - part.flat) * 10_000n - exact;
          expect(2n * (diff < 0n ? -diff : diff) <= 10_000n).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a percent-only sale commission (≤ 10000 bps) never exceeds the sale amount, and at 100 % equals it', () => {
    const percentOnly = fc.record({
      sale: bps,
      items: fc.uniqueArray(fc.record({ sku: fc.constantFrom(...skus), bps }), { maxLength: 4, selector: (x) => x.sku }),
    });
    fc.assert(
      fc.property(percentOnly, fc.bigInt({ min: 0n, max: 10n ** 12n }), items, (p, amount, lines) => {
        const plan = commissionPlanSchema.parse({ sale: { percentBps: p.sale }, items: p.items.map((i) => ({ match: { sku: i.sku }, percentBps: i.bps })) });
        const conversion: CommissionConversion = { type: 'sale', amount, currency: 'EUR', items: lines, occurredAt: AT, recurring: false, boundAt: null };
        const primary =
          computeCommissions(plan, conversion, { periodStats: {}, parentAffiliateId: null }).lines.find((l) => l.kind === 'primary')?.amount ?? 0n;
        expect(primary <= amount).toBe(true);
        const full = commissionPlanSchema.parse({ sale: { percentBps: 10_000 }, items: p.items.map((i) => ({ match: { sku: i.sku }, percentBps: 10_000 })) });
        const all = computeCommissions(full, conversion, { periodStats: {}, parentAffiliateId: null }).lines.find((l) => l.kind === 'primary')?.amount ?? 0n;
        expect(all).toBe(amount);
      }),
      { numRuns: 500 },
    );
  });

  it('over a sequence of conversions, each bonus is paid exactly once in every period that reaches it', () => {
    const sequence = fc.array(
      fc.record({
        type: fc.constantFrom('lead' as const, 'sale' as const, 'sale' as const),
        amount: fc.bigInt({ min: 0n, max: 50_000n }),
        // Spread over seven months so months and quarters roll over mid-sequence.
        day: fc.integer({ min: 0, max: 210 }),
      }),
      { maxLength: 60 },
    );
    const smallBonuses = fc.uniqueArray(
      fc.record({
        metric,
        period: fc.constantFrom<PlanPeriod>('month', 'quarter', 'lifetime'),
        threshold: fc.integer({ min: 1, max: 200_000 }),
        amount: fc.integer({ min: 1, max: 10_000 }),
      }),
      { minLength: 1, maxLength: 6, selector: (b) => `${b.metric}|${b.period}|${b.threshold}` },
    );
    fc.assert(
      fc.property(smallBonuses, sequence, (bonusList, events) => {
        const plan = commissionPlanSchema.parse({ sale: { percentBps: 1000 }, bonuses: bonusList });
        const ordered = [...events].sort((a, b) => a.day - b.day);
        const totals = new Map<string, PeriodStats>(); // `${period}:${key}` → counts so far
        const paid = new Map<string, bigint>();
        for (const e of ordered) {
          const occurredAt = new Date(Date.UTC(2026, 0, 1 + e.day, 12));
          const conversion: CommissionConversion = {
            type: e.type,
            amount: e.type === 'sale' ? e.amount : null,
            currency: 'EUR',
            items: [],
            occurredAt,
            recurring: false,
            boundAt: null,
          };
          const periodStats: Partial<Record<PlanPeriod, PeriodStats>> = {};
          for (const p of ['month', 'quarter', 'lifetime'] as const)
            periodStats[p] = totals.get(`${p}:${periodOf(p, occurredAt).key}`) ?? { sales: 0, revenue: 0n };
          const result = computeCommissions(plan, conversion, { periodStats, parentAffiliateId: null });
          for (const l of result.lines.filter((x) => x.kind === 'bonus')) {
            expect(paid.has(l.key)).toBe(false);
            paid.set(l.key, l.amount);
          }
          const add = conversionContribution(conversion);
          for (const p of ['month', 'quarter', 'lifetime'] as const) {
            const k = `${p}:${periodOf(p, occurredAt).key}`;
            const before = totals.get(k) ?? { sales: 0, revenue: 0n };
            totals.set(k, { sales: before.sales + add.sales, revenue: before.revenue + add.revenue });
          }
        }
        // Expected: for every period that saw conversions, each bonus whose threshold its final count reached.
        let expected = 0n;
        let crossings = 0;
        for (const [k, total] of totals) {
          const p = k.split(':')[0] as PlanPeriod;
          for (const b of bonusList) {
            if (b.period !== p) continue;
            const reached = b.metric === 'sales' ? BigInt(total.sales) : total.revenue;
            if (reached >= BigInt(b.threshold)) {
              expected += BigInt(b.amount);
              crossings++;
            }
          }
        }
        expect(paid.size).toBe(crossings);
        expect([...paid.values()].reduce((s, a) => s + a, 0n)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
