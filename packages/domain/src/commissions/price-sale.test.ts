import { describe, expect, it } from 'vitest';
import { byKey, lead, primaryOf, run, sale } from './commission-test-fixtures';
import type { CommissionItem } from './commission-types';
import { percentOf, priceSale } from './price-sale';

const item = (sku: string, amount: bigint, quantity = 1): CommissionItem => ({ sku, amount, quantity });

describe('rounding: amount × bps / 10000, once per line, half away from zero', () => {
  it.each<[bigint, number, bigint, string]>([
    [1n, 333, 0n, '1 minor unit at 3.33 % = 0.0333'],
    [15n, 333, 0n, '0.4995 stays down'],
    [16n, 333, 1n, '0.5328 goes up'],
    [999n, 1250, 125n, '999 at 12.5 % = 124.875'],
    [20n, 250, 1n, '2.5 % of 20 = 0.5, a half unit goes up'],
    [1n, 5000, 1n, '50 % of 1 = 0.5'],
    [3n, 5000, 2n, '50 % of 3 = 1.5'],
    [1n, 1250, 0n, '12.5 % of 1 = 0.125'],
    [1999n, 1000, 200n, '10 % of 1999 = 199.9'],
    [1n, 10_000, 1n, '100 % of 1'],
    [1_000_000_000_000n, 9_999, 999_900_000_000n, 'the largest plan amount at 99.99 %'],
    [123_456_789_012_345n, 1, 12_345_678_901n, 'beyond 2^53: bigint keeps every digit (12345678901.2345)'],
  ])('%s at %i bps → %s (%s)', (amount, bps, expected) => {
    expect(percentOf(amount, bps)).toBe(expected);
    expect(primaryOf(run({ sale: { percentBps: bps } }, sale(amount)))).toBe(expected);
  });

  it('rounds each order line, never the sum (5 % of two lines of 1005: 50 + 50, not 101)', () => {
    expect(primaryOf(run({ sale: { percentBps: 500 } }, sale(2_010n, { items: [item('A', 1_005n), item('B', 1_005n)] })))).toBe(100n);
    expect(primaryOf(run({ sale: { percentBps: 500 } }, sale(2_010n)))).toBe(101n);
  });

  it('rounds a line of several units once, on unit price × quantity', () => {
    // 3 × 0.125 rounded once = 0.375 → 0; rounding each unit would be 0 too, but 5 × 0.125 = 0.625 → 1.
    expect(primaryOf(run({ sale: { percentBps: 1250 } }, sale(5n, { items: [item('A', 1n, 5)] })))).toBe(1n);
  });
});

describe('zero-decimal currencies need no special case (JPY, amounts in yen)', () => {
  it.each<[string, unknown, bigint, bigint]>([
    ['10 % of ¥1999 = ¥200', { sale: { percentBps: 1000 } }, 1_999n, 200n],
    ['12.5 % of ¥999 = ¥125', { sale: { percentBps: 1250 } }, 999n, 125n],
    ['50 % of ¥1 = ¥1 (half a yen goes up)', { sale: { percentBps: 5000 } }, 1n, 1n],
    ['3.33 % of ¥10 = ¥0', { sale: { percentBps: 333 } }, 10n, 0n],
    ['¥500 flat', { sale: { flat: 500 } }, 123_456n, 500n],
  ])('%s', (_name, plan, amount, expected) => {
    const result = run(plan, sale(amount, { currency: 'JPY' }));
    expect(result.currency).toBe('JPY');
    expect(primaryOf(result)).toBe(expected);
  });

  it('a JPY plan with everything stays in yen', () => {
    const result = run(
      { sale: { percentBps: 1000 }, secondTierBps: 500, networkFee: { percentBps: 2000, of: 'commission', flat: 30 } },
      sale(12_345n, { currency: 'JPY' }),
      { periodStats: {}, parentAffiliateId: 'aff_p' },
    );
    // 1234.5 → 1235; 5 % of 1235 = 61.75 → 62; 20 % of 1297 = 259.4 → 259, + 30.
    expect(byKey(result)).toEqual({ primary: 1_235n, second_tier: 62n, network_fee: 289n });
    expect(run({ lead: { flat: 300 } }, lead({ currency: 'JPY' })).lines[0]!.amount).toBe(300n);
  });
});

describe('priceSale: fitting order lines to the sale amount', () => {
  it.each<[string, bigint, bigint[], bigint[]]>([
    ['lines that fit keep their totals', 10_000n, [4_000n, 6_000n], [4_000n, 6_000n]],
    ['lines above the amount share it in proportion', 5_000n, [6_000n, 4_000n], [3_000n, 2_000n]],
    ['shares are integers adding up to the amount', 2n, [1n, 1n, 1n], [1n, 0n, 1n]],
    ['a free order shares nothing', 0n, [500n, 700n], [0n, 0n]],
    [
      'many small lines beside a big one: each share within a unit of its exact part',
      100n,
      [...Array<bigint>(29).fill(1n), 1_000n],
      [...Array.from({ length: 29 }, (_, i) => ([5, 15, 25].includes(i) ? 1n : 0n)), 97n],
    ],
  ])('%s', (_name, amount, totals, shares) => {
    const priced = priceSale(
      amount,
      totals.map((t, i) => item(`S${i}`, t)),
      [],
      { percentBps: 10_000 },
    );
    const lines = priced.parts.filter((p) => p.source !== 'rest');
    expect(lines.map((p) => p.basis)).toEqual(shares);
    const lined = totals.reduce((a, b) => a + b, 0n);
    // The shares use up the amount, or the lines' totals when they fit in it.
    const used = shares.reduce((a, b) => a + b, 0n);
    if (lined > amount) expect(used).toBe(amount);
    else expect(used).toBe(lined);
    // At 100 % the commission never exceeds the sale.
    expect(priced.amount <= amount).toBe(true);
  });
});
