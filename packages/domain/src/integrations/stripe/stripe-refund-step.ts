/**
 * Stripe reports a charge's refunds as a running total (`amount_refunded`), in every
 * charge.refunded event, and events may arrive late, twice or out of order. What to do
 * with a sale is therefore "bring its refunded amount up to the total", never "add".
 * All amounts are minor units of the currency the sale came in.
 */
export type StripeRefundStep = { kind: 'none' } | { kind: 'full' } | { kind: 'partial'; amount: bigint };

export interface StripeRefundFigures {
  /** The sale, in the currency it came in. */
  saleAmount: bigint;
  /** What the sale's refunds already took back, in the same currency. */
  alreadyRefunded: bigint;
  /** The charge's amount_refunded. */
  cumulative: bigint;
  /** Stripe says the charge is refunded in full (refunded: true, or the whole amount). */
  chargeFullyRefunded: boolean;
}

export function stripeRefundStep(f: StripeRefundFigures): StripeRefundStep {
  // In full: what remains is refunded exactly, whatever rounding an exchange rate left.
  if (f.chargeFullyRefunded || f.cumulative >= f.saleAmount) return { kind: 'full' };
  const difference = f.cumulative - f.alreadyRefunded;
  return difference > 0n ? { kind: 'partial', amount: difference } : { kind: 'none' };
}

/**
 * A refund waiting for its sale holds the running total (null: in full). A later event
 * raises it, an older one (a smaller total) leaves it: applied once the sale arrives, it
 * takes back the newest total and nothing twice.
 */
export function raisedWaitingAmount(waiting: bigint | null, next: bigint | null): bigint | null {
  if (waiting === null || next === null) return null;
  if (next > waiting) return next;
  return waiting;
}
