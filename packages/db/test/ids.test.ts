import { TypeID } from 'typeid-js';
import { describe, expect, it } from 'vitest';
import { clickIdAt, ID_PREFIXES, type IdKind, idTime, isId, newClickId, newId } from '../src/ids';

const kinds = Object.keys(ID_PREFIXES) as IdKind[];

describe('newId', () => {
  it.each(kinds)('gives a %s id its own prefix and a 26-character TypeID suffix', (kind) => {
    const id = newId(kind);
    const [prefix, suffix] = id.split('_');
    expect(prefix).toBe(ID_PREFIXES[kind]);
    expect(suffix).toHaveLength(26);
    // A valid TypeID whose UUID is a v7 (time-ordered) one stamped around now.
    const parsed = TypeID.fromString(id);
    expect(parsed.getType()).toBe(ID_PREFIXES[kind]);
    const uuid = parsed.toUUID();
    expect(uuid[14]).toBe('7');
    const stampedMs = Number.parseInt(uuid.replaceAll('-', '').slice(0, 12), 16);
    expect(Math.abs(stampedMs - Date.now())).toBeLessThan(60_000);
  });

  it('has a distinct prefix for every kind', () => {
    const prefixes = Object.values(ID_PREFIXES);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it('sorts 10,000 ids created in sequence in creation order, without duplicates', () => {
    const ids = Array.from({ length: 10_000 }, () => newId('merchant'));
    // Default sort compares UTF-16 code units: plain lexicographic order, as in a B-tree on text.
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => isId('merchant', id))).toBe(true);
  });

  it('keeps creation order across kinds once the prefix is removed', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => newId(kinds[i % kinds.length]!));
    const suffixes = ids.map((id) => id.slice(id.indexOf('_') + 1));
    expect([...suffixes].sort()).toEqual(suffixes);
  });
});

describe('isId', () => {
  const merchantId = newId('merchant');

  it('accepts an id of the asked kind', () => {
    expect(isId('merchant', merchantId)).toBe(true);
    expect(isId('affiliate', newId('affiliate'))).toBe(true);
  });

  it.each([
    ['an id of another kind', newId('affiliate')],
    ['the same suffix under another prefix', `aff_${merchantId.slice(4)}`],
    ['an empty string', ''],
    ['the prefix alone', 'mer_'],
    ['a suffix one character short', merchantId.slice(0, -1)],
    ['a suffix one character long', `${merchantId}0`],
    ['upper case', merchantId.toUpperCase()],
    ['an upper-case suffix', `mer_${merchantId.slice(4).toUpperCase()}`],
    ['a letter outside the base32 alphabet (u)', `${merchantId.slice(0, -1)}u`],
    ['a letter outside the base32 alphabet (l)', `${merchantId.slice(0, -1)}l`],
    ['a first suffix character above 7 (overflows 128 bits)', `mer_8${merchantId.slice(5)}`],
    ['a trailing newline', `${merchantId}\n`],
    ['leading whitespace', ` ${merchantId}`],
    ['no separator', `mer${merchantId.slice(4)}`],
    ['a UUID', '0190f1f6-7c4b-7cc2-8a55-5c3c2f1d9a3e'],
    ['SQL', "mer_' OR 1=1 --"],
  ])('refuses %s', (_label, value) => {
    expect(isId('merchant', value)).toBe(false);
  });
});

describe('idTime', () => {
  it('reads the millisecond timestamp a TypeID carries, as typeid-js decodes it', () => {
    for (let i = 0; i < 200; i++) {
      const id = newId('click');
      const hex = TypeID.fromString(id).toUUID().replace(/-/g, '').slice(0, 12);
      expect(idTime(id).getTime()).toBe(Number.parseInt(hex, 16));
    }
    const before = Date.now();
    const t = idTime(newId('click')).getTime();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
    expect(() => idTime('clk_short')).toThrow();
    expect(() => idTime('clk_01m7z!3zdseskv669efw5hngdc')).toThrow();
  });
});

describe('newClickId', () => {
  it('is a valid UUIDv7 TypeID with the click prefix, carrying the time given', () => {
    for (let i = 0; i < 500; i++) {
      const now = Date.now() + i * 7919;
      const id = newClickId(now);
      expect(isId('click', id)).toBe(true);
      const uuid = TypeID.fromString(id).toUUID();
      expect(uuid[14]).toBe('7');
      expect('89ab').toContain(uuid[19]);
      expect(idTime(id).getTime()).toBeGreaterThanOrEqual(now);
    }
  });

  it('strictly increases, also within one millisecond, and never repeats', () => {
    const ids = Array.from({ length: 20_000 }, () => newClickId(1_800_000_000_000));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(idTime(ids[0]!).getTime()).toBeGreaterThanOrEqual(1_800_000_000_000);
  });
});

describe('clickIdAt', () => {
  it('makes a valid click id carrying the given instant, even one in the past', () => {
    for (const ms of [Date.UTC(2026, 0, 1), Date.UTC(2026, 10, 21, 12, 34, 56, 789), 1, 2 ** 47]) {
      const id = clickIdAt(ms);
      expect(isId('click', id), id).toBe(true);
      expect(idTime(id).getTime()).toBe(ms);
      expect(TypeID.fromString(id).toUUID()[14]).toBe('7');
    }
    expect(clickIdAt(1000)).not.toBe(clickIdAt(1000));
  });
});
