import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of a CPA-network postback: HMAC-SHA256 (lower-case hex) with the
 * program's postback secret over the canonical string of its parameters. Canonical =
 * every parameter but `sig`, name and value each percent-encoded per RFC 3986, sorted by
 * encoded name then encoded value (plain code-unit order; the encoded text is ASCII),
 * each `name=value`, joined by `&`. Pure functions, no I/O.
 */

/** One parameter as it arrived, decoded; a name may come more than once. */
export type PostbackParam = readonly [name: string, value: string];

/** How far `ts` may be from the server's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300;

const SIGNATURE_SHAPE = /^[0-9a-f]{64}$/i;

/** RFC 3986 percent-encoding: only A–Z a–z 0–9 - . _ ~ stay as they are. */
export function encodeRfc3986(value: string): string {
  // A lone surrogate cannot be UTF-8 encoded; it stands for U+FFFD, as a URL parser reads it.
  const wellFormed = value.replace(/\p{Cs}/gu, '\uFFFD');
  return encodeURIComponent(wellFormed).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalString(params: Iterable<PostbackParam>): string {
  const encoded: [string, string][] = [];
  for (const [name, value] of params) {
    if (name !== 'sig') encoded.push([encodeRfc3986(name), encodeRfc3986(value)]);
  }
  encoded.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([n, v]) => `${n}=${v}`).join('&');
}

export function signCanonical(secret: string, canonical: string): string {
  return createHmac('sha256', secret).update(canonical, 'utf8').digest('hex');
}

/** True when `sig` looks like a signature at all: 64 hex digits. */
export function isSignatureShaped(sig: string): boolean {
  return SIGNATURE_SHAPE.test(sig);
}

/** Constant-time comparison of `sig` with the signature of `canonical` under `secret`. */
export function verifySignature(secret: string, canonical: string, sig: string): boolean {
  if (!isSignatureShaped(sig)) return false;
  const expected = Buffer.from(signCanonical(secret, canonical), 'hex');
  return timingSafeEqual(expected, Buffer.from(sig, 'hex'));
}

/** The parameters with their `sig`, for building a signed postback (examples, tests, SDKs). */
export function signParams(secret: string, params: PostbackParam[]): { canonical: string; sig: string } {
  const canonical = canonicalString(params);
  return { canonical, sig: signCanonical(secret, canonical) };
}

/**
 * Seconds between `ts` and the server's clock (positive: `ts` is in the future), or null
 * when `ts` is not unix seconds.
 */
export function timestampSkewSeconds(ts: string, nowMs: number): number | null {
  if (!/^\d{1,12}$/.test(ts)) return null;
  return Number(ts) - Math.floor(nowMs / 1000);
}

export function isWithinWindow(ts: string, nowMs: number): boolean {
  const skew = timestampSkewSeconds(ts, nowMs);
  return skew !== null && Math.abs(skew) <= SIGNATURE_WINDOW_SECONDS;
}

/** Decoded parameters of a query string or form body (`+` is a space), in order. */
export function paramsFromUrlEncoded(text: string): PostbackParam[] {
  return [...new URLSearchParams(text)];
}
