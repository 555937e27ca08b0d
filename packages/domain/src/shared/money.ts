import { DomainError } from './errors';

/**
 * Money helpers. Amounts are integer minor units (`bigint`) beside an ISO 4217 code;
 * exchange rates are integers scaled by 10⁹ ("nano"). One rounding rule everywhere:
 * half away from zero (`roundDiv`).
 */

export const RATE_SCALE = 1_000_000_000n;

/** Largest amount the API accepts or answers: 2^53 − 1 minor units (a JSON number stays exact). */
export const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);

const exponents = new Map<string, number>();

/** Minor-unit digits of a currency (EUR 2, JPY 0, KWD 3), from the ICU data shipped with Node. */
export function currencyExponent(currency: string): number {
  let digits = exponents.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      throw new DomainError('validation_failed', `${currency} is not a currency code.`, { errors: [{ path: 'currency', message: 'unknown currency' }] });
    }
    exponents.set(currency, digits);
  }
  return digits;
}

/** n / d rounded half away from zero (d > 0). */
export function roundDiv(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new Error('roundDiv: the divisor must be positive');
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  if (2n * (r < 0n ? -r : r) >= d) return n < 0n ? q - 1n : q + 1n;
  return q;
}

/**
 * `amount` minor units of `from` in minor units of `to`, at `rateNano` (units of `to`
 * per unit of `from`, × 10⁹), minor-unit exponents accounted for, rounded once.
 */
export function convertAmount(amount: bigint, rateNano: bigint, from: string, to: string): bigint {
  const shift = currencyExponent(to) - currencyExponent(from);
  let n = amount * rateNano;
  let d = RATE_SCALE;
  if (shift > 0) n *= 10n ** BigInt(shift);
  else if (shift < 0) d *= 10n ** BigInt(-shift);
  return roundDiv(n, d);
}

/** "0.9215" → 921500000n. Up to nine decimals, positive, at most 10^9 units. */
export function parseRate(text: string): bigint {
  const match = /^(\d{1,10})(?:\.(\d{1,9}))?$/.exec(text);
  if (!match) throw new DomainError('validation_failed', 'The rate must be a positive decimal number with at most 9 decimals, e.g. "0.9215".');
  const value = BigInt(match[1]!) * RATE_SCALE + BigInt((match[2] ?? '').padEnd(9, '0'));
  if (value <= 0n) throw new DomainError('validation_failed', 'The rate must be greater than zero.');
  return value;
}

/** 921500000n → "0.9215". */
export function formatRate(rateNano: bigint): string {
  const whole = rateNano / RATE_SCALE;
  const fraction = (rateNano % RATE_SCALE).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

/** A bigint amount as a JSON number; past 2^53 it would lose digits, so it fails loudly. */
export function amountToNumber(value: bigint): number {
  if (value > MAX_AMOUNT || value < -MAX_AMOUNT) throw new Error(`An amount (${value}) is too large to answer exactly.`);
  return Number(value);
}
