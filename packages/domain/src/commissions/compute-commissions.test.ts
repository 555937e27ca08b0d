import { mergePlans } from '@app/contracts/commission-plans';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../shared/errors';
import { AT, byKey, context, lead, plan, primaryOf, run, sale } from './commission-test-fixtures';
import type { CommissionConversion, CommissionItem } from './commission-types';
import { computeCommissions } from './compute-commissions';

const item = (sku: string, amount: bigint, quantity = 1, category?: string): CommissionItem => ({ sku, amount, quantity, ...(category ? { category } : {}) });

describe('CPL, CPS, flat and hybrid', () => {
  it.each<[string, unknown, CommissionConversion, bigint]>([
    ['CPL: a lead pays the flat amount', { lead: { flat: 500 } }, lead(), 500n],
    ['CPL: a lead with an amount still pays the flat amount', { lead: { flat: 500 } }, lead({ amount: 99_999n }), 500n],
    ['CPL plan: a sale pays nothing', { lead: { flat: 500 } }, sale(12_000n), 0n],
    ['CPS %: 10 % of 120.00', { sale: { percentBps: 1000 } }, sale(12_000n), 1_200n],
    ['CPS plan: a lead pays nothing', { sale: { percentBps: 1000 } }, lead(), 0n],
    ['flat per sale', { sale: { flat: 2500 } }, sale(12_000n), 2_500n],
    ['flat per sale, even of a sale of 0', { sale: { flat: 2500 } }, sale(0n), 2_500n],
    ['percent + flat: 5 % + 1.00', { sale: { percentBps: 500, flat: 100 } }, sale(12_000n), 700n],
    ['hybrid: a lead uses lead', { lead: { flat: 200 }, sale: { percentBps: 800 } }, lead(), 200n],
    ['hybrid: a sale uses sale', { lead: { flat: 200 }, sale: { percentBps: 800 } }, sale(10_000n), 800n],
    ['100 % of the sale', { sale: { percentBps: 10_000 } }, sale(12_345n), 12_345n],
    ['0 % of the sale', { sale: { percentBps: 0 } }, sale(12_345n), 0n],
  ])('%s', (_name, p, conversion, expected) => {
    const result = run(p, conversion);
    expect(primaryOf(result)).toBe(expected);
    expect(result.lines).toHaveLength(expected > 0n ? 1 : 0);
  });

  it('describes the primary line: basis, rate, flat, key', () => {
    const [primary] = run({ sale: { percentBps: 500, flat: 100 } }, sale(12_000n)).lines;
    expect(primary).toEqual({
      kind: 'primary',
      beneficiary: 'affiliate',
      amount: 700n,
      basis: 12_000n,
      rateBps: 500,
      flat: 100n,
      tierStep: null,
      key: 'primary',
      bonusKey: null,
    });
  });

  it('applies the merged plan: enrollment > group > program', () => {
    const program = plan({ sale: { percentBps: 1000 }, secondTierBps: 300 });
    const merged = mergePlans(program, { sale: { percentBps: 1500 }, secondTierBps: 400 }, { sale: { flat: 700 } });
    const result = computeCommissions(merged, sale(12_000n), context({}, 'aff_parent'));
    expect(byKey(result)).toEqual({ primary: 700n, second_tier: 28n });
    const groupOnly = computeCommissions(mergePlans(program, { sale: { percentBps: 1500 } }, null), sale(12_000n), context());
    expect(byKey(groupOnly)).toEqual({ primary: 1_800n });
  });
});

describe('product and category rates', () => {
  const p = {
    sale: { percentBps: 1000 },
    items: [
      { match: { category: 'boots' }, percentBps: 800 },
      { match: { sku: 'GIFT-CARD-50' }, percentBps: 0 },
      { match: { sku: 'BOOT-PRO' }, percentBps: 1500 },
      { match: { sku: 'SKU-42' }, flat: 300 },
      { match: { sku: 'CASE' }, percentBps: 200, flat: 50 },
      { match: { category: 'SOCK' }, percentBps: 5000 },
    ],
  };
  it.each<[string, bigint, CommissionItem[], bigint]>([
    ['a category rate replaces the sale rate', 10_000n, [item('B-1', 10_000n, 1, 'boots')], 800n],
    ['a sku rate of 0 pays nothing', 5_000n, [item('GIFT-CARD-50', 5_000n)], 0n],
    ['the sku rate wins over the category rate', 10_000n, [item('BOOT-PRO', 10_000n, 1, 'boots')], 1_500n],
    ['an unmatched line keeps the sale rate', 6_000n, [item('HAT', 3_000n, 2, 'hats')], 600n],
    ['an item flat is per unit sold, without the sale %', 3_000n, [item('SKU-42', 1_000n, 3)], 900n],
    ['an item % and flat add up', 2_000n, [item('CASE', 1_000n, 2)], 40n + 100n],
    ['a sku named like a category does not match it', 1_000n, [item('SOCK', 1_000n)], 100n],
    ['categories match exactly (case-sensitive)', 1_000n, [item('S-1', 1_000n, 1, 'Boots')], 100n],
    ['mixed order: each line at its rate', 15_000n, [item('B-1', 10_000n, 1, 'boots'), item('HAT', 5_000n)], 800n + 500n],
    ['the amount beyond the lines (shipping) takes the sale rate', 12_500n, [item('B-1', 10_000n, 1, 'boots'), item('HAT', 2_000n)], 800n + 200n + 50n],
    ['lines above the amount share it in proportion', 5_000n, [item('B-1', 6_000n, 1, 'boots'), item('HAT', 4_000n)], 240n + 200n],
    ['a free order (amount 0) pays no percentage', 0n, [item('B-1', 6_000n, 1, 'boots')], 0n],
  ])('%s', (_name, amount, items, expected) => {
    expect(primaryOf(run(p, sale(amount, { items })))).toBe(expected);
  });

  it('explains each part of the sale', () => {
    const result = run(p, sale(12_500n, { items: [item('B-1', 10_000n, 1, 'boots'), item('HAT', 2_000n)] }));
    expect(result.explain.parts.map((x) => [x.source, x.sku, x.basis, x.rateBps, x.amount])).toEqual([
      ['category', 'B-1', 10_000n, 800, 800n],
      ['sale', 'HAT', 2_000n, 1000, 200n],
      ['rest', null, 500n, 1000, 50n],
    ]);
  });

  it.each<[string, bigint, CommissionItem[], bigint]>([
    ['pays the sale flat once for a sale without items', 10_000n, [], 1_100n],
    ['pays the sale flat once when some line is at the sale rate', 20_000n, [item('HAT', 5_000n), item('CAP', 5_000n), item('GIFT', 10_000n)], 1_000n + 100n],
    ['pays the sale flat when shipping is at the sale rate', 10_500n, [item('GIFT', 10_000n)], 50n + 100n],
    ['does not pay the sale flat when every line has its own rate', 10_000n, [item('GIFT', 10_000n)], 0n],
  ])('sale flat: %s', (_name, amount, items, expected) => {
    const p2 = { sale: { percentBps: 1000, flat: 100 }, items: [{ match: { sku: 'GIFT' }, percentBps: 0 }] };
    expect(primaryOf(run(p2, sale(amount, { items })))).toBe(expected);
  });

  it('an items-only plan pays nothing on unmatched lines or the rest', () => {
    const p3 = { items: [{ match: { category: 'boots' }, percentBps: 800 }] };
    expect(primaryOf(run(p3, sale(20_000n, { items: [item('B-1', 10_000n, 1, 'boots'), item('HAT', 5_000n)] })))).toBe(800n);
    expect(run(p3, sale(20_000n)).lines).toEqual([]);
  });
});

describe('recurring sales of a bound customer', () => {
  const p = { sale: { percentBps: 2000 }, recurring: { percentBps: 1000, months: 12 } };
  const bound = new Date('2025-03-15T10:00:00.000Z');
  const at = (iso: string) => new Date(iso);
  it.each<[string, unknown, Partial<CommissionConversion>, bigint, string]>([
    ['the first (binding) sale pays the sale rate', p, {}, 2_000n, 'not_recurring'],
    ['a renewal inside the months pays the recurring rate', p, { recurring: true, boundAt: at('2026-01-15T00:00:00Z') }, 1_000n, 'active'],
    ['the last instant of the window', p, { recurring: true, boundAt: bound, occurredAt: at('2026-03-15T09:59:59.999Z') }, 1_000n, 'active'],
    ['the window ends N months after the binding: nothing', p, { recurring: true, boundAt: bound, occurredAt: at('2026-03-15T10:00:00.000Z') }, 0n, 'expired'],
    ['after the window: nothing', p, { recurring: true, boundAt: at('2020-01-01T00:00:00Z') }, 0n, 'expired'],
    [
      'a month-end binding ends on the next month’s last day',
      { ...p, recurring: { percentBps: 1000, months: 1 } },
      { recurring: true, boundAt: at('2026-01-31T12:00:00Z'), occurredAt: at('2026-02-28T11:59:59Z') },
      1_000n,
      'active',
    ],
    [
      'a month-end binding, one second after its end',
      { ...p, recurring: { percentBps: 1000, months: 1 } },
      { recurring: true, boundAt: at('2026-01-31T12:00:00Z'), occurredAt: at('2026-02-28T12:00:01Z') },
      0n,
      'expired',
    ],
    [
      'lifetime (months: null) pays forever',
      { ...p, recurring: { percentBps: 1000, months: null } },
      { recurring: true, boundAt: at('2000-01-01T00:00:00Z') },
      1_000n,
      'lifetime',
    ],
    ['lifetime needs no binding date', { ...p, recurring: { percentBps: 1000, months: null } }, { recurring: true, boundAt: null }, 1_000n, 'lifetime'],
    [
      'recurring flat is added once',
      { recurring: { percentBps: 1000, flat: 50, months: 3 } },
      { recurring: true, boundAt: at('2026-02-01T00:00:00Z') },
      1_050n,
      'active',
    ],
    ['without a recurring rate a renewal is an ordinary sale', { sale: { percentBps: 2000 } }, { recurring: true, boundAt: bound }, 2_000n, 'no_rate'],
    ['a recurring-only plan pays nothing on the first sale', { recurring: { percentBps: 1000, months: 12 } }, {}, 0n, 'not_recurring'],
  ])('%s', (_name, p1, extra, expected, state) => {
    const result = run(p1, sale(10_000n, extra));
    expect(primaryOf(result)).toBe(expected);
    expect(result.explain.recurring).toBe(state);
  });

  it('item rates still win on a recurring sale; tiers do not apply to it', () => {
    const p2 = {
      ...p,
      items: [{ match: { sku: 'GIFT' }, percentBps: 0 }],
      tiers: {
        metric: 'sales',
        period: 'month',
        steps: [
          { from: 0, percentBps: 2000 },
          { from: 5, percentBps: 5000 },
        ],
      },
    };
    const result = run(
      p2,
      sale(15_000n, { recurring: true, boundAt: AT, items: [item('GIFT', 5_000n), item('PLAN', 10_000n)] }),
      context({ month: { sales: 99 } }),
    );
    expect(primaryOf(result)).toBe(1_000n);
    expect(result.explain.rate).toBe('recurring');
    expect(result.lines[0]!.tierStep).toBeNull();
  });

  it('refuses a recurring sale with months but no binding date', () => {
    expect(() => run(p, sale(10_000n, { recurring: true, boundAt: null }))).toThrow(DomainError);
  });
});

describe('tiers', () => {
  const ladder = { from: 0, percentBps: 2000 };
  const bySales = {
    sale: { percentBps: 1000 },
    tiers: { metric: 'sales', period: 'month', steps: [ladder, { from: 10, percentBps: 2500 }, { from: 50, percentBps: 3000 }] },
  };
  it.each([
    [0, 0, 2_000n],
    [9, 0, 2_000n],
    [10, 1, 2_500n],
    [11, 1, 2_500n],
    [49, 1, 2_500n],
    [50, 2, 3_000n],
    [51, 2, 3_000n],
    [100_000, 2, 3_000n],
  ])('sales metric: %i sales before this one → step %i', (before, step, expected) => {
    const result = run(bySales, sale(10_000n), context({ month: { sales: before } }));
    expect(primaryOf(result)).toBe(expected);
    expect(result.lines[0]!.tierStep).toBe(step);
    expect(result.explain.tier).toMatchObject({ metric: 'sales', period: 'month', periodKey: '2026-03', reached: BigInt(before), step });
  });

  const byRevenue = {
    sale: { percentBps: 1000 },
    tiers: {
      metric: 'revenue',
      period: 'quarter',
      steps: [
        { from: 0, percentBps: 1000 },
        { from: 100_000, percentBps: 1500 },
        { from: 500_000, flat: 5000 },
      ],
    },
  };
  it.each([
    [0n, 0, 1_000n],
    [99_999n, 0, 1_000n],
    [100_000n, 1, 1_500n],
    [100_001n, 1, 1_500n],
    [499_999n, 1, 1_500n],
    [500_000n, 2, 5_000n],
    [500_001n, 2, 5_000n],
  ])('revenue metric: %s before this sale → step %i', (before, step, expected) => {
    const result = run(byRevenue, sale(10_000n), context({ quarter: { revenue: before }, month: { revenue: 0n } }));
    expect(primaryOf(result)).toBe(expected);
    expect(result.lines[0]!.tierStep).toBe(step);
  });

  it('a step replaces the whole sale rate, flat included; item rates still win', () => {
    const p = {
      sale: { percentBps: 1000, flat: 100 },
      items: [{ match: { sku: 'GIFT' }, percentBps: 0 }],
      tiers: { ...bySales.tiers, steps: [ladder, { from: 10, percentBps: 2500, flat: 7 }] },
    };
    expect(primaryOf(run(p, sale(10_000n), context({ month: { sales: 3 } })))).toBe(2_000n);
    expect(primaryOf(run(p, sale(20_000n, { items: [item('GIFT', 10_000n), item('HAT', 10_000n)] }), context({ month: { sales: 10 } })))).toBe(2_507n);
  });

  it('tiers without a sale rate change nothing', () => {
    const p = { items: [{ match: { sku: 'A' }, percentBps: 500 }], tiers: bySales.tiers };
    const result = run(p, sale(10_000n, { items: [item('A', 4_000n), item('B', 6_000n)] }), context({ month: { sales: 60 } }));
    expect(primaryOf(result)).toBe(200n);
    expect(result.explain.tier).toBeNull();
  });

  it('leads are not tiered', () => {
    expect(primaryOf(run({ ...bySales, lead: { flat: 300 } }, lead(), context({ month: { sales: 60 } })))).toBe(300n);
  });

  it('refuses to compute without the counts of the tier’s period', () => {
    const ctx = { periodStats: { quarter: { sales: 1, revenue: 0n } }, parentAffiliateId: null };
    expect(() => computeCommissions(plan(bySales), sale(10_000n), ctx)).toThrow(/month counts/);
  });
});

describe('bad input', () => {
  it.each<[string, CommissionConversion, string]>([
    ['a sale without an amount', sale(0n, { amount: null }), 'amount'],
    ['a negative amount', sale(-1n), 'amount'],
    ['a negative item amount', sale(10n, { items: [item('A', -5n)] }), 'items.0.amount'],
    ['a zero quantity', sale(10n, { items: [item('A', 5n, 0)] }), 'items.0.quantity'],
    ['a fractional quantity', sale(10n, { items: [item('A', 5n, 1.5)] }), 'items.0.quantity'],
    ['an invalid date', sale(10n, { occurredAt: new Date('nope') }), 'occurredAt'],
  ])('refuses %s', (_name, conversion, path) => {
    const error = (() => {
      try {
        run({ sale: { percentBps: 1000 } }, conversion);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('validation_failed');
    expect((error as DomainError).details).toEqual({ errors: [{ path, message: expect.any(String) }] });
  });

  it.each([
    ['a negative count', { sales: -1, revenue: 0n }],
    ['a fractional count', { sales: 1.5, revenue: 0n }],
    ['a negative revenue', { sales: 0, revenue: -1n }],
  ])('refuses period stats with %s', (_name, stats) => {
    const p = { sale: { percentBps: 1000 }, bonuses: [{ metric: 'sales', period: 'month', threshold: 5, amount: 100 }] };
    expect(() => computeCommissions(plan(p), sale(10n), { periodStats: { month: stats }, parentAffiliateId: null })).toThrow(DomainError);
  });
});
