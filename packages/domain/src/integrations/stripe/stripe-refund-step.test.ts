import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { raisedWaitingAmount, stripeRefundStep } from './stripe-refund-step';

describe('stripeRefundStep', () => {
  it.each([
    ['the first partial refund', { saleAmount: 2000n, alreadyRefunded: 0n, cumulative: 500n, chargeFullyRefunded: false }, { kind: 'partial', amount: 500n }],
    [
      'the next total: only the difference',
      { saleAmount: 2000n, alreadyRefunded: 500n, cumulative: 1200n, chargeFullyRefunded: false },
      { kind: 'partial', amount: 700n },
    ],
    ['the same total again', { saleAmount: 2000n, alreadyRefunded: 1200n, cumulative: 1200n, chargeFullyRefunded: false }, { kind: 'none' }],
    ['an older, smaller total late', { saleAmount: 2000n, alreadyRefunded: 1200n, cumulative: 500n, chargeFullyRefunded: false }, { kind: 'none' }],
    ['the whole amount', { saleAmount: 2000n, alreadyRefunded: 1200n, cumulative: 2000n, chargeFullyRefunded: false }, { kind: 'full' }],
    ['a charge Stripe calls refunded', { saleAmount: 2000n, alreadyRefunded: 0n, cumulative: 1999n, chargeFullyRefunded: true }, { kind: 'full' }],
    ['more than the sale', { saleAmount: 2000n, alreadyRefunded: 0n, cumulative: 2500n, chargeFullyRefunded: false }, { kind: 'full' }],
  ] as const)('%s', (_label, figures, step) => {
    expect(stripeRefundStep(figures)).toEqual(step);
  });

  it('reaches the newest total whatever order the totals arrive in, and never exceeds the sale', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 8 }), (sale, totals) => {
        let refunded = 0n;
        let full = false;
        for (const cumulative of totals) {
          if (full) break;
          const step = stripeRefundStep({ saleAmount: sale, alreadyRefunded: refunded, cumulative, chargeFullyRefunded: false });
          if (step.kind === 'full') {
            refunded = sale;
            full = true;
          } else if (step.kind === 'partial') refunded += step.amount;
        }
        const newest = [...totals].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))[0] as bigint;
        if (newest >= sale) expect(refunded).toBe(sale);
        else expect(refunded).toBe(newest);
      }),
    );
  });
});

describe('raisedWaitingAmount', () => {
  it.each([
    [500n, 1200n, 1200n],
    [1200n, 500n, 1200n],
    [1200n, 1200n, 1200n],
    [500n, null, null],
    [null, 500n, null],
  ] as const)('%s then %s waits as %s', (waiting, next, raised) => {
    expect(raisedWaitingAmount(waiting, next)).toBe(raised);
  });
});
