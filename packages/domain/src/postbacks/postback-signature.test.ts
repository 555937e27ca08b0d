import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalString,
  encodeRfc3986,
  isWithinWindow,
  paramsFromUrlEncoded,
  SIGNATURE_WINDOW_SECONDS,
  signCanonical,
  signParams,
  timestampSkewSeconds,
  verifySignature,
} from './postback-signature';

const SECRET = 'test-secret';
// Written out by hand from the rules (RFC 3986 encoding, sort by name, sig left out);
// the expected HMAC was computed outside this code:
//   printf '%s' '<canonical>' | openssl dgst -sha256 -hmac test-secret
const CANONICAL = 'amount=1999&currency=EUR&external_id=order%201%2F2&note=it%27s%20%28ok%29%2A%21&program_id=prg_test&ts=1700000000&type=sale';
const SIGNATURE = 'c9d696dd9ae479cdbd94578ae9215232fa3cc20ccc282764584938b69f42fc54';

const PARAMS: [string, string][] = [
  ['type', 'sale'],
  ['program_id', 'prg_test'],
  ['sig', 'ignored'],
  ['external_id', 'order 1/2'],
  ['note', "it's (ok)*!"],
  ['ts', '1700000000'],
  ['currency', 'EUR'],
  ['amount', '1999'],
];

describe('canonicalString', () => {
  it('encodes, sorts and joins every parameter but sig (known vector)', () => {
    expect(canonicalString(PARAMS)).toBe(CANONICAL);
    expect(createHmac('sha256', SECRET).update(CANONICAL).digest('hex')).toBe(SIGNATURE);
    expect(signParams(SECRET, PARAMS)).toEqual({ canonical: CANONICAL, sig: SIGNATURE });
  });

  it('sorts a repeated name by value, and the order of arrival does not matter', () => {
    expect(
      canonicalString([
        ['b', '2'],
        ['a', 'z'],
        ['b', '10'],
        ['a', ''],
      ]),
    ).toBe('a=&a=z&b=10&b=2');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 12 }), (pairs) => {
        const reversed = [...pairs].reverse();
        expect(canonicalString(reversed)).toBe(canonicalString(pairs));
      }),
    );
  });

  it('sorts by the encoded name, byte order (upper case before lower case, "_" after letters)', () => {
    expect(
      canonicalString([
        ['program_id', 'x'],
        ['programid', 'y'],
        ['Z', '1'],
      ]),
    ).toBe('Z=1&program_id=x&programid=y');
  });

  it('encodes UTF-8 and leaves only unreserved characters as they are', () => {
    expect(encodeRfc3986('Zürich café €')).toBe('Z%C3%BCrich%20caf%C3%A9%20%E2%82%AC');
    expect(encodeRfc3986("AZaz09-._~!*'()&=+/ ?#%")).toBe('AZaz09-._~%21%2A%27%28%29%26%3D%2B%2F%20%3F%23%25');
    expect(encodeRfc3986('\uD800')).toBe('%EF%BF%BD');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const encoded = encodeRfc3986(s);
        expect(encoded).toMatch(/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
        expect(decodeURIComponent(encoded)).toBe(s);
      }),
    );
  });

  it('gives the same string for the parameters of a query string, whatever their encoding on the wire', () => {
    const wire = paramsFromUrlEncoded('?external_id=order+1%2f2&program_id=prg_test&note=it%27s+(ok)*!&ts=1700000000&type=sale&currency=EUR&amount=1999&sig=x');
    expect(canonicalString(wire)).toBe(CANONICAL);
  });
});

describe('verifySignature', () => {
  it('accepts the right signature, in lower or upper case', () => {
    expect(signCanonical(SECRET, CANONICAL)).toBe(SIGNATURE);
    expect(verifySignature(SECRET, CANONICAL, SIGNATURE)).toBe(true);
    expect(verifySignature(SECRET, CANONICAL, SIGNATURE.toUpperCase())).toBe(true);
  });

  it('refuses another secret, a changed parameter and garbled signatures', () => {
    expect(verifySignature('other-secret', CANONICAL, SIGNATURE)).toBe(false);
    expect(verifySignature(SECRET, CANONICAL.replace('amount=1999', 'amount=1998'), SIGNATURE)).toBe(false);
    for (const bad of ['', 'zz', SIGNATURE.slice(0, 63), `${SIGNATURE}0`, `${SIGNATURE.slice(0, 63)}g`, ` ${SIGNATURE.slice(1)}`]) {
      expect(verifySignature(SECRET, CANONICAL, bad)).toBe(false);
    }
  });
});

describe('timestamp window', () => {
  const now = 1_700_000_000_500;
  it.each([
    ['1700000000', 0, true],
    [String(1_700_000_000 - SIGNATURE_WINDOW_SECONDS), -SIGNATURE_WINDOW_SECONDS, true],
    [String(1_700_000_000 + SIGNATURE_WINDOW_SECONDS), SIGNATURE_WINDOW_SECONDS, true],
    [String(1_700_000_000 - SIGNATURE_WINDOW_SECONDS - 1), -SIGNATURE_WINDOW_SECONDS - 1, false],
    [String(1_700_000_000 + SIGNATURE_WINDOW_SECONDS + 1), SIGNATURE_WINDOW_SECONDS + 1, false],
  ])('ts %s is %i s away (within: %s)', (ts, skew, within) => {
    expect(timestampSkewSeconds(ts, now)).toBe(skew);
    expect(isWithinWindow(ts, now)).toBe(within);
  });

  it.each(['', '1700000000.5', '-1', '1e9', ' 1700000000', '1700000000000000'])('%j is not a timestamp', (ts) => {
    expect(timestampSkewSeconds(ts, now)).toBeNull();
    expect(isWithinWindow(ts, now)).toBe(false);
  });
});
