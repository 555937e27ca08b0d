import { describe, expect, it } from 'vitest';
import { type CommissionPlan, commissionPlanSchema, mergePlans, type PlanOverride, planOverrideSchema } from './commission-plans';

const ladder: NonNullable<CommissionPlan['tiers']> = {
  metric: 'sales',
  period: 'month',
  steps: [
    { from: 0, percentBps: 2000 },
    { from: 10, percentBps: 2500 },
    { from: 50, percentBps: 3000 },
  ],
};

const fullPlan = {
  lead: { flat: 500 },
  sale: { percentBps: 1000, flat: 100 },
  recurring: { percentBps: 1500, months: 12 },
  items: [
    { match: { category: 'boots' }, percentBps: 800 },
    { match: { sku: 'SKU-42' }, flat: 300 },
  ],
  tiers: ladder,
  bonuses: [{ metric: 'sales', period: 'month', threshold: 25, amount: 10000 }],
  secondTierBps: 500,
  networkFee: { percentBps: 2000, of: 'commission' },
};

describe('commissionPlanSchema accepts every construct of the language', () => {
  const valid: [string, unknown][] = [
    ['CPL: flat per lead', { lead: { flat: 500 } }],
    ['CPS percent', { sale: { percentBps: 1000 } }],
    ['CPS flat', { sale: { flat: 2500 } }],
    ['CPS percent + flat', { sale: { percentBps: 500, flat: 100 } }],
    ['hybrid lead + sale', { lead: { flat: 200 }, sale: { percentBps: 800 } }],
    ['recurring for 12 months', { sale: { percentBps: 1000 }, recurring: { percentBps: 1500, months: 12 } }],
    ['recurring for life, with a flat part', { recurring: { percentBps: 1500, flat: 50, months: null } }],
    ['recurring at the 120-month limit', { recurring: { percentBps: 1500, months: 120 } }],
    ['item rate by sku', { items: [{ match: { sku: 'SKU-1' }, percentBps: 1200 }] }],
    ['item rate by category, beside a sale rate', { sale: { percentBps: 1000 }, items: [{ match: { category: 'boots' }, flat: 300 }] }],
    [
      'same name as sku and as category is no duplicate',
      {
        items: [
          { match: { sku: 'boots' }, flat: 1 },
          { match: { category: 'boots' }, flat: 2 },
        ],
      },
    ],
    ['tier ladder 20/25/30 % at 0/10/50 sales', { sale: { percentBps: 1000 }, tiers: ladder }],
    [
      'revenue tiers per quarter with flat steps',
      {
        sale: { percentBps: 1000 },
        tiers: {
          metric: 'revenue',
          period: 'quarter',
          steps: [
            { from: 0, percentBps: 1000 },
            { from: 1_000_000, percentBps: 1200, flat: 100 },
          ],
        },
      },
    ],
    [
      '20 tier steps',
      {
        sale: { percentBps: 1 },
        tiers: { metric: 'sales', period: 'year', steps: Array.from({ length: 20 }, (_, i) => ({ from: i * 5, percentBps: 100 + i })) },
      },
    ],
    [
      'bonuses on sales and revenue',
      {
        sale: { percentBps: 1000 },
        bonuses: [
          { metric: 'sales', period: 'month', threshold: 25, amount: 10000 },
          { metric: 'sales', period: 'year', threshold: 25, amount: 50000 },
          { metric: 'revenue', period: 'lifetime', threshold: 10_000_000, amount: 100000 },
        ],
      },
    ],
    ['two-tier', { sale: { percentBps: 1000 }, secondTierBps: 500 }],
    ['network fee of commission', { sale: { percentBps: 1000 }, networkFee: { percentBps: 2000, of: 'commission' } }],
    ['network fee of sale, with flat', { lead: { flat: 500 }, networkFee: { percentBps: 300, of: 'sale', flat: 25 } }],
    ['100 % and zero are allowed rates', { sale: { percentBps: 10000, flat: 0 } }],
    ['amount at the 1e12 limit', { lead: { flat: 1_000_000_000_000 } }],
    ['a full plan with everything', fullPlan],
  ];

  it.each(valid)('%s', (_name, plan) => {
    const result = commissionPlanSchema.safeParse(plan);
    expect(result.error?.issues).toBeUndefined();
    expect(result.data).toEqual(plan);
  });

  it('trims sku and category names', () => {
    const plan = commissionPlanSchema.parse({ items: [{ match: { sku: '  SKU-1 ' }, flat: 1 }] });
    expect(plan.items?.[0]?.match).toEqual({ sku: 'SKU-1' });
  });
});

type Refusal = [name: string, plan: unknown, path: (string | number)[], message: RegExp];

describe('commissionPlanSchema refuses nonsense with a pointed path', () => {
  const withSale = (extra: object) => ({ sale: { percentBps: 1000 }, ...extra });
  const tiers = (steps: object[]) => withSale({ tiers: { metric: 'sales', period: 'month', steps } });

  const refused: Refusal[] = [
    ['negative rate', { sale: { percentBps: -1 } }, ['sale', 'percentBps'], /negative/],
    ['10001 bps', { sale: { percentBps: 10001 } }, ['sale', 'percentBps'], /at most 10000/],
    ['fractional bps', { sale: { percentBps: 12.5 } }, ['sale', 'percentBps'], /whole number/],
    ['float amount', { lead: { flat: 4.99 } }, ['lead', 'flat'], /whole number of minor units/],
    ['string amount', { lead: { flat: '500' } }, ['lead', 'flat'], /not a string/],
    ['negative amount', { sale: { flat: -100 } }, ['sale', 'flat'], /negative/],
    ['amount above 1e12', { lead: { flat: 1_000_000_000_001 } }, ['lead', 'flat'], /at most/],
    ['missing lead amount', { lead: {} }, ['lead', 'flat'], /required/],
    ['sale with no rate', { sale: {} }, ['sale'], /percentBps, flat/],
    ['network fee above 100 %', withSale({ networkFee: { percentBps: 10001, of: 'sale' } }), ['networkFee', 'percentBps'], /at most 10000/],
    ['network fee of something else', withSale({ networkFee: { percentBps: 100, of: 'profit' } }), ['networkFee', 'of'], /commission.*sale/],
    ['second tier above 100 %', withSale({ secondTierBps: 10001 }), ['secondTierBps'], /at most 10000/],
    ['empty plan', {}, [], /pay for something/],
    ['plan with only tiers, bonuses and fees', { tiers: ladder, secondTierBps: 500 }, [], /pay for something/],
    ['plan whose only items list is empty', { items: [] }, [], /pay for something/],
    ['months: 0', { recurring: { percentBps: 1000, months: 0 } }, ['recurring', 'months'], /null for lifetime/],
    ['months: 121', { recurring: { percentBps: 1000, months: 121 } }, ['recurring', 'months'], /at most 120/],
    ['months missing', { recurring: { percentBps: 1000 } }, ['recurring', 'months'], /required/],
    ['item match with both sku and category', { items: [{ match: { sku: 'a', category: 'b' }, flat: 1 }] }, ['items', 0, 'match'], /exactly one/],
    ['item match with neither', { items: [{ match: {}, flat: 1 }] }, ['items', 0, 'match'], /exactly one/],
    ['item without a rate', { items: [{ match: { sku: 'a' } }] }, ['items', 0], /percentBps, flat/],
    [
      'duplicate item match',
      {
        items: [
          { match: { category: 'boots' }, flat: 1 },
          { match: { sku: 'x' }, flat: 1 },
          { match: { category: 'boots' }, flat: 2 },
        ],
      },
      ['items', 2, 'match'],
      /items\.0/,
    ],
    ['tiers not starting at 0', tiers([{ from: 1, percentBps: 1 }]), ['tiers', 'steps', 0, 'from'], /start at 0/],
    [
      'tiers out of order',
      tiers([
        { from: 0, percentBps: 1 },
        { from: 50, percentBps: 2 },
        { from: 10, percentBps: 3 },
      ]),
      ['tiers', 'steps', 2, 'from'],
      /ascend/,
    ],
    [
      'duplicate tier from (overlap)',
      tiers([
        { from: 0, percentBps: 1 },
        { from: 10, percentBps: 2 },
        { from: 10, percentBps: 3 },
      ]),
      ['tiers', 'steps', 2, 'from'],
      /overlaps steps\.1/,
    ],
    [
      'tier from as a float',
      tiers([
        { from: 0, percentBps: 1 },
        { from: 2.5, percentBps: 2 },
      ]),
      ['tiers', 'steps', 1, 'from'],
      /whole number/,
    ],
    ['tier step without a rate', tiers([{ from: 0 }]), ['tiers', 'steps', 0], /percentBps, flat/],
    ['no tier steps', tiers([]), ['tiers', 'steps'], /at least one step/],
    ['21 tier steps', tiers(Array.from({ length: 21 }, (_, i) => ({ from: i, flat: 1 }))), ['tiers', 'steps'], /at most 20/],
    ['unknown tier metric', withSale({ tiers: { ...ladder, metric: 'clicks' } }), ['tiers', 'metric'], /sales.*revenue/],
    ['unknown tier period', withSale({ tiers: { ...ladder, period: 'week' } }), ['tiers', 'period'], /month, quarter/],
    [
      'bonus threshold negative',
      withSale({ bonuses: [{ metric: 'sales', period: 'month', threshold: -5, amount: 100 }] }),
      ['bonuses', 0, 'threshold'],
      /at least 1/,
    ],
    ['bonus amount zero', withSale({ bonuses: [{ metric: 'sales', period: 'month', threshold: 5, amount: 0 }] }), ['bonuses', 0, 'amount'], /at least 1/],
    [
      'duplicate bonus',
      withSale({
        bonuses: [
          { metric: 'revenue', period: 'month', threshold: 5000, amount: 100 },
          { metric: 'revenue', period: 'month', threshold: 5000, amount: 200 },
        ],
      }),
      ['bonuses', 1],
      /bonuses\.0/,
    ],
  ];

  it.each(refused)('%s', (_name, plan, path, message) => {
    const result = commissionPlanSchema.safeParse(plan);
    expect(result.success).toBe(false);
    const issues = result.error!.issues;
    expect(issues.map((i) => i.path)).toEqual([path]);
    expect(issues[0]!.message).toMatch(message);
  });

  const unknownKeys: [string, unknown, (string | number)[], string][] = [
    ['unknown key at top level', { sale: { percentBps: 1000 }, bonus: [] }, [], 'bonus'],
    ['currency is the program’s, not the plan’s', { sale: { percentBps: 1000 }, currency: 'EUR' }, [], 'currency'],
    ['unknown key in sale', { sale: { percentBps: 1000, percent: 10 } }, ['sale'], 'percent'],
    ['unknown key in an item match', { items: [{ match: { sku: 'a', brand: 'b' }, flat: 1 }] }, ['items', 0, 'match'], 'brand'],
    ['unknown key in a tier step', tiers([{ from: 0, percentBps: 1, until: 10 }]), ['tiers', 'steps', 0], 'until'],
    ['unknown key in network fee', withSale({ networkFee: { percentBps: 1, of: 'sale', payer: 'affiliate' } }), ['networkFee'], 'payer'],
  ];

  it.each(unknownKeys)('%s', (_name, plan, path, key) => {
    const issues = commissionPlanSchema.safeParse(plan).error?.issues ?? [];
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'unrecognized_keys', path, keys: [key] });
  });
});

describe('planOverrideSchema', () => {
  it('accepts any subset of top-level keys, including none', () => {
    expect(planOverrideSchema.parse({})).toEqual({});
    expect(planOverrideSchema.parse({ secondTierBps: 0 })).toEqual({ secondTierBps: 0 });
    expect(planOverrideSchema.parse({ tiers: ladder, networkFee: null })).toEqual({ tiers: ladder, networkFee: null });
  });

  it('does not require the override alone to pay for something', () => {
    expect(planOverrideSchema.safeParse({ bonuses: [] }).success).toBe(true);
  });

  it('validates each given key as strictly as the plan does', () => {
    expect(planOverrideSchema.safeParse({ sale: { percentBps: 10001 } }).error?.issues.map((i) => i.path)).toEqual([['sale', 'percentBps']]);
    expect(planOverrideSchema.safeParse({ salez: { percentBps: 1 } }).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['salez'] });
    expect(planOverrideSchema.safeParse({ tiers: { ...ladder, steps: [{ from: 5, percentBps: 1 }] } }).error?.issues[0]?.path).toEqual([
      'tiers',
      'steps',
      0,
      'from',
    ]);
  });
});

describe('mergePlans: enrollment > group > program, whole top-level keys', () => {
  const program: CommissionPlan = {
    sale: { percentBps: 1000 },
    recurring: { percentBps: 500, months: 12 },
    tiers: ladder,
    secondTierBps: 300,
    networkFee: { percentBps: 2000, of: 'commission' },
  };
  const group: PlanOverride = { sale: { percentBps: 1500 }, secondTierBps: 400 };
  const enrollment: PlanOverride = { sale: { flat: 700 } };

  const cases: [string, PlanOverride | undefined, PlanOverride | undefined, CommissionPlan][] = [
    ['no overrides: the program plan', undefined, undefined, program],
    ['group beats program', group, undefined, { ...program, sale: { percentBps: 1500 }, secondTierBps: 400 }],
    ['enrollment beats program', undefined, enrollment, { ...program, sale: { flat: 700 } }],
    ['enrollment beats group, group still beats program elsewhere', group, enrollment, { ...program, sale: { flat: 700 }, secondTierBps: 400 }],
    [
      'a key is replaced whole, never deep-merged',
      undefined,
      { recurring: { percentBps: 900, months: null } },
      { ...program, recurring: { percentBps: 900, months: null } },
    ],
    ['an override may add a key the program lacks', { lead: { flat: 250 } }, undefined, { ...program, lead: { flat: 250 } }],
    ['null removes a key', { networkFee: null }, undefined, { sale: program.sale, recurring: program.recurring, tiers: ladder, secondTierBps: 300 }],
    ['enrollment restores a key the group removed', { secondTierBps: null }, { secondTierBps: 600 }, { ...program, secondTierBps: 600 }],
  ];

  it.each(cases)('%s', (_name, g, e, expected) => {
    const merged = mergePlans(program, g, e);
    expect(merged).toEqual(expected);
    expect(commissionPlanSchema.safeParse(merged).success).toBe(true);
  });

  it('does not change its arguments', () => {
    const before = structuredClone({ program, group, enrollment });
    mergePlans(program, group, enrollment);
    expect({ program, group, enrollment }).toEqual(before);
  });

  it('can produce a plan that pays nothing, which the plan schema then refuses', () => {
    const merged = mergePlans({ sale: { percentBps: 1000 }, secondTierBps: 100 }, { sale: null });
    expect(merged).toEqual({ secondTierBps: 100 });
    expect(commissionPlanSchema.safeParse(merged).error?.issues[0]?.message).toMatch(/pay for something/);
  });
});
