import type { FxRate } from '@app/db/generated/prisma/client';
import { formatRate } from '../shared/money';

export interface FxRateView {
  id: string;
  from: string;
  to: string;
  /** Units of `to` per unit of `from`, as a decimal string (exact). */
  rate: string;
  effectiveFrom: string;
  createdAt: string;
}

export function toFxRateView(row: FxRate): FxRateView {
  return {
    id: row.id,
    from: row.fromCurrency,
    to: row.toCurrency,
    rate: formatRate(row.rateNano),
    effectiveFrom: row.effectiveFrom.toISOString(),
    createdAt: row.createdAt.toISOString(),
  };
}
