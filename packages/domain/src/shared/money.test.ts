import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from './errors';
import { convertAmount, currencyExponent, formatRate, parseRate, roundDiv } from './money';

describe('roundDiv (half away from zero)', () => {
  it.each([
    [5n, 2n, 3n],
    [-5n, 2n, -3n],
    [4n, 3n, 1n],
    [5n, 3n, 2n],
    [-4n, 3n, -1n],
    [-5n, 3n, -2n],
    [0n, 7n, 0n],
    [10n, 5n, 2n],
    [1n, 1_000_000_000n, 0n],
    [500_000_000n, 1_000_000_000n, 1n],
    [499_999_999n, 1_000_000_000n, 0n],
  ])('%s / %s → %s', (n, d, expected) => {
    expect(roundDiv(n, d)).toBe(expected);
  });

  it('is never more than half a unit away from the exact quotient', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (n, d) => {
        const q = roundDiv(n, d);
        const diff = q * d - n; // q - n/d, scaled by d
        return 2n * (diff < 0n ? -diff : diff) <= d;
      }),
    );
  });
});

describe('convertAmount', () => {
  it('converts between currencies of different minor units, rounding once', () => {
    expect(convertAmount(10_001n, 923_456_789n, 'USD', 'EUR')).toBe(9_235n); // 92.354...
    expect(convertAmount(1_000n, 6_100_000n, 'JPY', 'EUR')).toBe(610n); // ¥1000 → €6.10
    expect(convertAmount(610n, 163_934_426_229n, 'EUR', 'JPY')).toBe(1_000n); // €6.10 → ¥1000
    expect(convertAmount(1_000n, 3_250_000_000n, 'EUR', 'KWD')).toBe(32_500n); // €10 → 32.500 KWD
    expect(convertAmount(1n, 500_000_000n, 'EUR', 'USD')).toBe(1n); // 0.5 cent rounds away from zero
    expect(convertAmount(0n, 923_456_789n, 'USD', 'EUR')).toBe(0n);
  });
});

describe('rates', () => {
  it('parses and formats decimal rates exactly', () => {
    expect(parseRate('0.9215')).toBe(921_500_000n);
    expect(parseRate('1')).toBe(1_000_000_000n);
    expect(parseRate('163.934426229')).toBe(163_934_426_229n);
    expect(formatRate(921_500_000n)).toBe('0.9215');
    expect(formatRate(1_000_000_000n)).toBe('1');
    expect(formatRate(163_934_426_229n)).toBe('163.934426229');
    for (const bad of ['0', '0.0', '-1', '1.1234567891', 'abc', '1e3', '', '.5']) expect(() => parseRate(bad), bad).toThrow(DomainError);
  });

  it('knows minor units from ISO 4217 and refuses unknown codes', () => {
    expect([currencyExponent('EUR'), currencyExponent('JPY'), currencyExponent('KWD')]).toEqual([2, 0, 3]);
    expect(() => currencyExponent('XYZ1')).toThrow(DomainError);
  });
});
