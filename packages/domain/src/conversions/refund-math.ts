import { DomainError } from '../shared/errors';
import { convertAmount } from '../shared/money';

export interface RefundableConversion {
  type: string;
  status: string;
  amount: bigint | null;
  currency: string | null;
  refundedAmount: bigint;
  originalCurrency: string | null;
  fxRateNano: bigint | null;
}

export interface RefundEffect {
  /** Minor units of the conversion's (program) currency taken back by this refund. */
  applied: bigint;
  refundedAmount: bigint;
  status: string;
}

/**
 * What a refund does to a conversion. `requested` is in the currency the sale came in
 * (converted at the sale's own rate); null refunds what remains. A lead has no amount:
 * refunding it cancels it. `strict`: an amount over what remains is refused (API);
 * otherwise it is capped (Stripe and postbacks report what happened, not a request).
 */
export function refundEffect(c: RefundableConversion, requested: bigint | null, strict: boolean): RefundEffect {
  if (c.status === 'refunded') throw new DomainError('invalid_state', 'This conversion is already refunded in full.');
  if (c.type === 'lead' || c.amount === null) {
    if (requested !== null && strict) throw new DomainError('validation_failed', 'A lead has no amount: refund it without one to cancel it.');
    return { applied: 0n, refundedAmount: c.refundedAmount, status: 'refunded' };
  }
  const remaining = c.amount - c.refundedAmount;
  let applied = remaining;
  if (requested !== null) {
    const inProgramCurrency =
      c.fxRateNano !== null && c.originalCurrency && c.currency ? convertAmount(requested, c.fxRateNano, c.originalCurrency, c.currency) : requested;
    if (inProgramCurrency > remaining && strict) {
      throw new DomainError('validation_failed', `The refund is more than what remains refundable (${remaining} minor units of ${c.currency}).`, {
        errors: [{ path: 'amount', message: `must be at most the refundable remainder` }],
        refundable: Number(remaining),
      });
    }
    if (inProgramCurrency < remaining) applied = inProgramCurrency;
  }
  const refundedAmount = c.refundedAmount + applied;
  return { applied, refundedAmount, status: refundedAmount >= c.amount ? 'refunded' : c.status };
}
