import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plan } from './commission-test-fixtures';
import { conversionContribution, inPeriod, type PlanPeriod, periodOf, periodsUsed } from './periods';

const t = (iso: string) => new Date(iso);

describe('periodOf: the UTC calendar period containing an instant', () => {
  it.each<[PlanPeriod, string, string, string | null, string | null]>([
    ['month', '2026-03-15T10:00:00.000Z', '2026-03', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['month', '2026-03-31T23:59:59.999Z', '2026-03', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['month', '2026-04-01T00:00:00.000Z', '2026-04', '2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'],
    ['month', '2026-12-31T23:59:59.999Z', '2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['month', '2028-02-29T12:00:00.000Z', '2028-02', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    // 23:30 in New York on 31 March is already April in UTC.
    ['month', '2026-03-31T23:30:00.000-04:00', '2026-04', '2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'],
    ['quarter', '2026-01-01T00:00:00.000Z', '2026-Q1', '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['quarter', '2026-03-31T23:59:59.999Z', '2026-Q1', '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['quarter', '2026-04-01T00:00:00.000Z', '2026-Q2', '2026-04-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z'],
    ['quarter', '2026-08-15T00:00:00.000Z', '2026-Q3', '2026-07-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z'],
    ['quarter', '2026-12-31T23:59:59.999Z', '2026-Q4', '2026-10-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['year', '2026-12-31T23:59:59.999Z', '2026', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['year', '2027-01-01T00:00:00.000Z', '2027', '2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z'],
    ['lifetime', '2026-03-15T10:00:00.000Z', 'lifetime', null, null],
  ])('%s of %s → %s', (period, at, key, start, end) => {
    const w = periodOf(period, t(at));
    expect(w).toEqual({ period, key, start: start && t(start), end: end && t(end) });
  });

  it('keeps years below 100 as they are', () => {
    expect(periodOf('year', t('0042-06-01T00:00:00.000Z'))).toMatchObject({
      key: '0042',
      start: t('0042-01-01T00:00:00.000Z'),
      end: t('0043-01-01T00:00:00.000Z'),
    });
  });

  it('refuses an invalid date', () => {
    expect(() => periodOf('month', new Date('nope'))).toThrow();
  });

  it('every instant lies in its own period and not in the next one', () => {
    const periods: PlanPeriod[] = ['month', 'quarter', 'year', 'lifetime'];
    fc.assert(
      fc.property(
        fc.date({ min: t('1970-01-01T00:00:00Z'), max: t('2999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.constantFrom(...periods),
        (at, period) => {
          const w = periodOf(period, at);
          expect(inPeriod(w, at)).toBe(true);
          if (w.end) {
            expect(inPeriod(w, w.end)).toBe(false);
            expect(periodOf(period, w.end).start).toEqual(w.end);
            expect(periodOf(period, new Date(w.end.getTime() - 1)).key).toBe(w.key);
          }
        },
      ),
    );
  });
});

describe('periodsUsed', () => {
  it.each<[string, unknown, PlanPeriod[]]>([
    ['none for a plain plan', { sale: { percentBps: 1000 } }, []],
    ['the tier’s period', { sale: { percentBps: 1000 }, tiers: { metric: 'sales', period: 'quarter', steps: [{ from: 0, percentBps: 1 }] } }, ['quarter']],
    [
      'none for tiers without a sale rate (they change nothing)',
      { lead: { flat: 1 }, tiers: { metric: 'sales', period: 'quarter', steps: [{ from: 0, percentBps: 1 }] } },
      [],
    ],
    [
      'each period once, in a fixed order',
      {
        sale: { percentBps: 1000 },
        tiers: { metric: 'revenue', period: 'year', steps: [{ from: 0, percentBps: 1 }] },
        bonuses: [
          { metric: 'sales', period: 'lifetime', threshold: 1, amount: 1 },
          { metric: 'revenue', period: 'month', threshold: 1, amount: 1 },
          { metric: 'sales', period: 'month', threshold: 2, amount: 1 },
        ],
      },
      ['month', 'year', 'lifetime'],
    ],
  ])('%s', (_name, p, expected) => {
    expect(periodsUsed(plan(p))).toEqual(expected);
  });
});

describe('conversionContribution', () => {
  it('a sale counts one and its amount; a lead counts nothing', () => {
    expect(conversionContribution({ type: 'sale', amount: 12_000n })).toEqual({ sales: 1, revenue: 12_000n });
    expect(conversionContribution({ type: 'sale', amount: 0n })).toEqual({ sales: 1, revenue: 0n });
    expect(conversionContribution({ type: 'lead', amount: 5_000n })).toEqual({ sales: 0, revenue: 0n });
    expect(conversionContribution({ type: 'lead', amount: null })).toEqual({ sales: 0, revenue: 0n });
  });
});
