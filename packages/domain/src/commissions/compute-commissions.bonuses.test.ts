import { describe, expect, it } from 'vitest';
import { byKey, context, lead, run, sale } from './commission-test-fixtures';
import type { CommissionConversion } from './commission-types';
import type { PlanPeriod } from './periods';

const SALES_25 = 'bonus:sales:month:25:2026-03';
const REVENUE_1M = 'bonus:revenue:quarter:1000000:2026-Q1';

describe('milestone bonuses: paid when this conversion crosses the threshold (before < threshold ≤ after)', () => {
  const p = {
    sale: { percentBps: 1000 },
    bonuses: [
      { metric: 'sales', period: 'month', threshold: 25, amount: 10_000 },
      { metric: 'revenue', period: 'quarter', threshold: 1_000_000, amount: 50_000 },
    ],
  };
  it.each<[string, CommissionConversion, Partial<Record<PlanPeriod, { sales?: number; revenue?: bigint }>>, string[]]>([
    ['23 sales before: the 24th crosses nothing', sale(100n), { month: { sales: 23 } }, []],
    ['24 sales before: the 25th crosses', sale(100n), { month: { sales: 24 } }, [SALES_25]],
    ['25 sales before: already reached, not paid again', sale(100n), { month: { sales: 25 } }, []],
    ['26 sales before: not paid again', sale(100n), { month: { sales: 26 } }, []],
    ['a lead does not count as a sale', lead(), { month: { sales: 24 } }, []],
    ['revenue one unit short stays below', sale(10_000n), { quarter: { revenue: 989_999n } }, []],
    ['revenue landing exactly on the threshold crosses', sale(10_000n), { quarter: { revenue: 990_000n } }, [REVENUE_1M]],
    ['revenue one unit from the threshold, a sale of 1', sale(1n), { quarter: { revenue: 999_999n } }, [REVENUE_1M]],
    ['revenue jumping far past the threshold crosses', sale(5_000_000n), { quarter: { revenue: 0n } }, [REVENUE_1M]],
    ['revenue already at the threshold: not paid again', sale(10_000n), { quarter: { revenue: 1_000_000n } }, []],
    ['a sale of 0 never crosses a revenue threshold', sale(0n), { quarter: { revenue: 999_999n } }, []],
    ['one conversion may cross two bonuses', sale(10_000n), { month: { sales: 24 }, quarter: { revenue: 995_000n } }, [SALES_25, REVENUE_1M]],
  ])('%s', (_name, conversion, stats, crossed) => {
    const result = run(p, conversion, context(stats));
    const bonuses = result.lines.filter((l) => l.kind === 'bonus');
    expect(bonuses.map((l) => l.key)).toEqual(crossed);
    for (const b of bonuses) expect(b).toMatchObject({ beneficiary: 'affiliate', bonusKey: b.key, amount: b.flat, basis: 0n, rateBps: null });
    expect(result.explain.bonuses.filter((c) => c.crossed).map((c) => c.key)).toEqual(crossed);
  });

  it.each<[PlanPeriod, string, string]>([
    ['month', '2026-03-31T23:59:59.999Z', 'bonus:sales:month:3:2026-03'],
    ['month', '2026-04-01T00:00:00.000Z', 'bonus:sales:month:3:2026-04'],
    ['quarter', '2026-06-30T23:59:59.999Z', 'bonus:sales:quarter:3:2026-Q2'],
    ['quarter', '2026-07-01T00:00:00.000Z', 'bonus:sales:quarter:3:2026-Q3'],
    ['year', '2026-12-31T23:59:59.999Z', 'bonus:sales:year:3:2026'],
    ['lifetime', '2031-05-05T00:00:00.000Z', 'bonus:sales:lifetime:3:lifetime'],
  ])('keys a %s bonus by its UTC period (%s)', (period, iso, key) => {
    const p = { sale: { percentBps: 1000 }, bonuses: [{ metric: 'sales', period, threshold: 3, amount: 500 }] };
    const result = run(p, sale(100n, { occurredAt: new Date(iso) }), context({ [period]: { sales: 2 } }));
    expect(byKey(result)[key]).toBe(500n);
  });

  it('a bonus is paid even when the sale itself earns nothing', () => {
    const p = { sale: { percentBps: 0 }, bonuses: [{ metric: 'sales', period: 'month', threshold: 1, amount: 700 }] };
    expect(byKey(run(p, sale(10_000n)))).toEqual({ 'bonus:sales:month:1:2026-03': 700n });
  });
});

describe('two-tier: the parent’s share of each of the child’s commissions', () => {
  const p = { sale: { percentBps: 1000 }, secondTierBps: 500, bonuses: [{ metric: 'sales', period: 'month', threshold: 1, amount: 10_000 }] };
  it.each<[string, unknown, bigint, string | null, Record<string, bigint>]>([
    [
      'a child earning 12.00 gives the parent 0.60',
      { sale: { percentBps: 1000 }, secondTierBps: 500 },
      12_000n,
      'aff_p',
      { primary: 1_200n, second_tier: 60n },
    ],
    ['no parent, no share', { sale: { percentBps: 1000 }, secondTierBps: 500 }, 12_000n, null, { primary: 1_200n }],
    ['secondTierBps 0: no share', { sale: { percentBps: 1000 }, secondTierBps: 0 }, 12_000n, 'aff_p', { primary: 1_200n }],
    ['no secondTierBps: no share', { sale: { percentBps: 1000 } }, 12_000n, 'aff_p', { primary: 1_200n }],
    ['a half unit rounds away from zero (5 % of 10 = 0.5)', { sale: { flat: 10 }, secondTierBps: 500 }, 1n, 'aff_p', { primary: 10n, second_tier: 1n }],
    ['a share under half a unit is left out (5 % of 9)', { sale: { flat: 9 }, secondTierBps: 500 }, 1n, 'aff_p', { primary: 9n }],
    [
      '100 %: the parent gets as much as the child',
      { sale: { percentBps: 1000 }, secondTierBps: 10_000 },
      12_000n,
      'aff_p',
      { primary: 1_200n, second_tier: 1_200n },
    ],
  ])('%s', (_name, plan, amount, parent, expected) => {
    expect(byKey(run(plan, sale(amount), context({}, parent)))).toEqual(expected);
  });

  it('the child’s commission is not reduced, and the bonus has its own share', () => {
    const result = run(p, sale(12_000n), context({}, 'aff_p'));
    const bonusKey = 'bonus:sales:month:1:2026-03';
    expect(byKey(result)).toEqual({ primary: 1_200n, second_tier: 60n, [bonusKey]: 10_000n, [`second_tier:${bonusKey}`]: 500n });
    const share = result.lines.find((l) => l.key === `second_tier:${bonusKey}`)!;
    expect(share).toMatchObject({ kind: 'second_tier', beneficiary: 'parent', basis: 10_000n, rateBps: 500, bonusKey });
    expect(result.lines.find((l) => l.key === 'second_tier')!.bonusKey).toBeNull();
  });
});

describe('network fee: charged to the merchant on top', () => {
  it.each<[string, unknown, CommissionConversion, string | null, Record<string, bigint>, bigint]>([
    [
      'of commission: 120.00 sale, affiliate 12.00, fee 2.40, merchant pays 14.40',
      { sale: { percentBps: 1000 }, networkFee: { percentBps: 2000, of: 'commission' } },
      sale(12_000n),
      null,
      { primary: 1_200n, network_fee: 240n },
      1_440n,
    ],
    [
      'of sale: 3 % of 120.00',
      { sale: { percentBps: 1000 }, networkFee: { percentBps: 300, of: 'sale' } },
      sale(12_000n),
      null,
      { primary: 1_200n, network_fee: 360n },
      1_560n,
    ],
    [
      'a flat fee is added per conversion',
      { sale: { percentBps: 1000 }, networkFee: { percentBps: 2000, of: 'commission', flat: 50 } },
      sale(12_000n),
      null,
      { primary: 1_200n, network_fee: 290n },
      1_490n,
    ],
    [
      'of commission includes the parent’s share',
      { sale: { percentBps: 1000 }, secondTierBps: 500, networkFee: { percentBps: 2000, of: 'commission' } },
      sale(12_000n),
      'aff_p',
      { primary: 1_200n, second_tier: 60n, network_fee: 252n },
      1_512n,
    ],
    [
      'of sale on a lead takes only the flat',
      { lead: { flat: 500 }, networkFee: { percentBps: 300, of: 'sale', flat: 25 } },
      lead({ amount: 10_000n }),
      null,
      { primary: 500n, network_fee: 25n },
      525n,
    ],
    [
      'the flat is charged on a conversion that earns nothing',
      { sale: { percentBps: 0 }, networkFee: { percentBps: 2000, of: 'commission', flat: 25 } },
      sale(12_000n),
      null,
      { network_fee: 25n },
      25n,
    ],
    ['a fee of 0 is left out', { sale: { percentBps: 1000 }, networkFee: { percentBps: 0, of: 'sale' } }, sale(12_000n), null, { primary: 1_200n }, 1_200n],
  ])('%s', (_name, plan, conversion, parent, expected, merchantTotal) => {
    const result = run(plan, conversion, context({}, parent));
    expect(byKey(result)).toEqual(expected);
    expect(result.networkFee).toBe(expected.network_fee ?? 0n);
    expect(result.merchantTotal).toBe(merchantTotal);
    const fee = result.lines.find((l) => l.kind === 'network_fee');
    if (fee) expect(fee.beneficiary).toBe('network');
  });

  it('a crossed bonus carries its own fee (of commission), standing or falling with it', () => {
    const p = {
      sale: { percentBps: 1000 },
      secondTierBps: 500,
      bonuses: [{ metric: 'sales', period: 'month', threshold: 1, amount: 10_000 }],
      networkFee: { percentBps: 2000, of: 'commission', flat: 10 },
    };
    const result = run(p, sale(12_000n), context({}, 'aff_p'));
    const key = 'bonus:sales:month:1:2026-03';
    expect(byKey(result)).toEqual({
      primary: 1_200n,
      second_tier: 60n,
      network_fee: 262n,
      [key]: 10_000n,
      [`second_tier:${key}`]: 500n,
      [`network_fee:${key}`]: 2_100n,
    });
    expect(result.networkFee).toBe(2_362n);
    expect(result.lines.filter((l) => l.bonusKey === key).map((l) => l.kind)).toEqual(['bonus', 'second_tier', 'network_fee']);
  });

  it('a fee of the sale adds nothing to a bonus', () => {
    const p = {
      sale: { percentBps: 1000 },
      bonuses: [{ metric: 'sales', period: 'month', threshold: 1, amount: 10_000 }],
      networkFee: { percentBps: 300, of: 'sale' },
    };
    expect(byKey(run(p, sale(12_000n)))).toEqual({ primary: 1_200n, network_fee: 360n, 'bonus:sales:month:1:2026-03': 10_000n });
  });
});

describe('line keys', () => {
  it('are unique and deterministic for a plan using everything', () => {
    const p = {
      lead: { flat: 500 },
      sale: { percentBps: 1000 },
      recurring: { percentBps: 1500, months: 12 },
      items: [{ match: { category: 'boots' }, percentBps: 800 }],
      tiers: {
        metric: 'sales',
        period: 'month',
        steps: [
          { from: 0, percentBps: 2000 },
          { from: 10, percentBps: 2500 },
        ],
      },
      bonuses: [
        { metric: 'sales', period: 'month', threshold: 25, amount: 10_000 },
        { metric: 'revenue', period: 'year', threshold: 100_000, amount: 20_000 },
      ],
      secondTierBps: 500,
      networkFee: { percentBps: 2000, of: 'commission' },
    };
    const compute = () => run(p, sale(12_000n), context({ month: { sales: 24 }, year: { revenue: 99_000n } }, 'aff_p'));
    const keys = compute().lines.map((l) => l.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual([
      'primary',
      'second_tier',
      'network_fee',
      SALES_25,
      `second_tier:${SALES_25}`,
      `network_fee:${SALES_25}`,
      'bonus:revenue:year:100000:2026',
      'second_tier:bonus:revenue:year:100000:2026',
      'network_fee:bonus:revenue:year:100000:2026',
    ]);
    expect(compute()).toEqual(compute());
  });
});
