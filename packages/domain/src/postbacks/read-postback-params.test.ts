import { describe, expect, it } from 'vitest';
import { DomainError } from '../shared/errors';
import { readPostbackParams } from './read-postback-params';

const base: [string, string][] = [
  ['program_id', 'prg_1'],
  ['external_id', 'order-1'],
  ['amount', '1250'],
  ['ts', '1700000000'],
  ['sig', 'x'],
];

function errorsOf(params: [string, string][]): { path: string; message: string }[] {
  try {
    readPostbackParams(params);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('validation_failed');
    return (error as DomainError).details?.errors as { path: string; message: string }[];
  }
  throw new Error('expected validation_failed');
}

describe('readPostbackParams', () => {
  it('reads a sale with defaults (type sale, status approved) and ignores unknown names', () => {
    const p = readPostbackParams([...base, ['sub1', 'newsletter'], ['currency', 'USD'], ['click_id', ''], ['coupon', 'SPRING']]);
    expect(p).toMatchObject({
      program_id: 'prg_1',
      external_id: 'order-1',
      type: 'sale',
      status: 'approved',
      amount: 1250n,
      currency: 'USD',
      coupon: 'SPRING',
    });
    expect(p.click_id).toBeUndefined();
    expect(p).not.toHaveProperty('sub1');
  });

  it('reads a lead without amount, and a full refund without amount', () => {
    const lead = base.filter(([n]) => n !== 'amount');
    expect(readPostbackParams([...lead, ['type', 'lead']]).amount).toBeUndefined();
    expect(readPostbackParams([...lead, ['status', 'refunded']]).status).toBe('refunded');
  });

  it.each<[string, [string, string][], string[]]>([
    ['a sale without amount', base.filter(([n]) => n !== 'amount'), ['amount']],
    ['a decimal amount', [...base.filter(([n]) => n !== 'amount'), ['amount', '12.50']], ['amount']],
    ['a negative amount', [...base.filter(([n]) => n !== 'amount'), ['amount', '-5']], ['amount']],
    ['a huge amount', [...base.filter(([n]) => n !== 'amount'), ['amount', '9999999999999']], ['amount']],
    ['a refund of 0', [...base.filter(([n]) => n !== 'amount'), ['amount', '0'], ['status', 'refunded']], ['amount']],
    ['no external_id', base.filter(([n]) => n !== 'external_id'), ['external_id']],
    ['a blank external_id', [...base.filter(([n]) => n !== 'external_id'), ['external_id', '   ']], ['external_id']],
    ['a 201-character external_id', [...base.filter(([n]) => n !== 'external_id'), ['external_id', 'x'.repeat(201)]], ['external_id']],
    ['an unknown type and status', [...base, ['type', 'purchase'], ['status', 'paid']], ['status', 'type']],
    ['a lower-case currency', [...base, ['currency', 'eur']], ['currency']],
    ['a repeated amount', [...base, ['amount', '1']], ['amount']],
    ['a ts in milliseconds with decimals', [...base.filter(([n]) => n !== 'ts'), ['ts', '1700000000.123']], ['ts']],
    ['too many parameters', [...base, ...Array.from({ length: 50 }, (_, i): [string, string] => [`x${i}`, '1'])], ['params']],
  ])('refuses %s', (_label, params, paths) => {
    expect(
      errorsOf(params)
        .map((e) => e.path)
        .sort(),
    ).toEqual(paths);
  });

  it('says "is required" for a missing field', () => {
    expect(errorsOf(base.filter(([n]) => n !== 'external_id'))).toEqual([{ path: 'external_id', message: 'is required' }]);
  });
});
