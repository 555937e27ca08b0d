import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../shared/errors';
import { STRIPE_TOLERANCE_SECONDS, verifyStripeSignature } from './stripe-signature';

const secret = 'whsec_c2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz';
const now = Date.UTC(2026, 10, 22, 12, 0, 0);
const nowSeconds = Math.floor(now / 1000);
const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'charge.refunded', created: nowSeconds, data: { object: {} } });

function header(body: string, options: { timestamp?: number; secret?: string } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? secret, timestamp: options.timestamp ?? nowSeconds });
}

function failure(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('verifyStripeSignature', () => {
  it('returns the parsed body of a body signed with the secret, as a string or as bytes', () => {
    expect(verifyStripeSignature(payload, header(payload), secret, now)).toMatchObject({ id: 'evt_1', type: 'charge.refunded' });
    expect(verifyStripeSignature(Buffer.from(payload), header(payload), secret, now)).toMatchObject({ id: 'evt_1' });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a header without a timestamp', 'v1=abc'],
    ['a header without a v1 signature', `t=${nowSeconds},v0=abc`],
    ['garbage', 'hello'],
  ])('refuses %s as invalid_signature', (_label, value) => {
    expect(failure(() => verifyStripeSignature(payload, value, secret, now)).code).toBe('invalid_signature');
  });

  it('refuses another secret, a changed body and a changed timestamp as invalid_signature', () => {
    expect(failure(() => verifyStripeSignature(payload, header(payload, { secret: 'whsec_another-secret-0000000000' }), secret, now)).code).toBe(
      'invalid_signature',
    );
    expect(failure(() => verifyStripeSignature(payload.replace('evt_1', 'evt_2'), header(payload), secret, now)).code).toBe('invalid_signature');
    const moved = header(payload).replace(`t=${nowSeconds}`, `t=${nowSeconds + 1}`);
    expect(failure(() => verifyStripeSignature(payload, moved, secret, now)).code).toBe('invalid_signature');
  });

  it('accepts a signature up to 300 s old or ahead, and calls one beyond signature_expired', () => {
    for (const skew of [-STRIPE_TOLERANCE_SECONDS, 0, STRIPE_TOLERANCE_SECONDS]) {
      expect(verifyStripeSignature(payload, header(payload, { timestamp: nowSeconds + skew }), secret, now)).toMatchObject({ id: 'evt_1' });
    }
    const old = failure(() => verifyStripeSignature(payload, header(payload, { timestamp: nowSeconds - 301 }), secret, now));
    expect(old.code).toBe('signature_expired');
    expect(old.message).toContain('301 s ago');
    const ahead = failure(() => verifyStripeSignature(payload, header(payload, { timestamp: nowSeconds + 301 }), secret, now));
    expect(ahead.code).toBe('signature_expired');
    expect(ahead.message).toContain('in the future');
  });

  it('calls an old timestamp with a wrong signature invalid_signature, not expired', () => {
    const forged = header(payload, { timestamp: nowSeconds - 3600, secret: 'whsec_another-secret-0000000000' });
    expect(failure(() => verifyStripeSignature(payload, forged, secret, now)).code).toBe('invalid_signature');
  });

  it("relies on the library's wording for a stale timestamp (pinned here)", () => {
    expect(() => Stripe.webhooks.constructEvent(payload, header(payload, { timestamp: nowSeconds - 301 }), secret, 300, undefined, now)).toThrow(
      /^Timestamp outside the tolerance zone/,
    );
  });

  it('calls a signed body that is not JSON bad_request', () => {
    expect(failure(() => verifyStripeSignature('not json', header('not json'), secret, now)).code).toBe('bad_request');
  });
});
