import Stripe from 'stripe';
import { DomainError } from '../../shared/errors';

/** How far (seconds) a signature's timestamp may be from the server's clock, either way. */
export const STRIPE_TOLERANCE_SECONDS = 300;

// The library's message for a signature that matches but is too old; pinned by a unit
// test so that a library upgrade rewording it fails there rather than here.
const TOO_OLD = 'Timestamp outside the tolerance zone';

/**
 * Checks a Stripe-Signature header over the raw request body with the endpoint's signing
 * secret (Stripe's own library) and returns the parsed JSON. A missing or wrong signature
 * is `invalid_signature`; a right one made more than 300 s before (the library's check)
 * or after (ours: the library accepts any future time) the server's clock is
 * `signature_expired`; a signed body that is not JSON is `bad_request`.
 */
export function verifyStripeSignature(rawBody: string | Uint8Array, header: string | undefined, secret: string, nowMs = Date.now()): unknown {
  if (!header) throw new DomainError('invalid_signature', 'Send the Stripe-Signature header Stripe signs each webhook with.');
  let parsed: unknown;
  try {
    parsed = Stripe.webhooks.constructEvent(rawBody, header, secret, STRIPE_TOLERANCE_SECONDS, undefined, nowMs);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      if (error.message.startsWith(TOO_OLD)) throw expired(timestampOf(header), nowMs);
      throw new DomainError(
        'invalid_signature',
        "The Stripe-Signature does not match this body and the endpoint's signing secret. Check the secret saved for this merchant (whsec_… of this endpoint) and that the body reaches us unchanged.",
      );
    }
    if (error instanceof SyntaxError) throw new DomainError('bad_request', 'The body is not JSON: it cannot be a Stripe event.');
    throw error;
  }
  const t = timestampOf(header);
  if (t !== null && t * 1000 - nowMs > STRIPE_TOLERANCE_SECONDS * 1000) throw expired(t, nowMs);
  return parsed;
}

function timestampOf(header: string): number | null {
  const match = /(?:^|,)\s*t=(\d{1,12})(?:,|$)/.exec(header);
  return match?.[1] ? Number(match[1]) : null;
}

function expired(t: number | null, nowMs: number): DomainError {
  const serverTime = Math.floor(nowMs / 1000);
  const skew = t === null ? null : serverTime - t;
  return new DomainError(
    'signature_expired',
    skew === null
      ? `The signature's timestamp is outside ±${STRIPE_TOLERANCE_SECONDS} s of the server time.`
      : `The signature was made ${Math.abs(skew)} s ${skew >= 0 ? 'ago' : 'in the future'}; Stripe webhooks are accepted within ±${STRIPE_TOLERANCE_SECONDS} s of the server time. Check the server clock, or let Stripe retry.`,
    { timestamp: t, serverTime, toleranceSeconds: STRIPE_TOLERANCE_SECONDS },
  );
}
