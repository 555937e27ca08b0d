import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { currencyExponent, parseRate } from '../shared/money';
import { requireNetworkRole } from '../shared/policies';
import { type FxRateView, toFxRateView } from './fx-rate-view';

export interface CreateFxRateInput {
  from: string;
  to: string;
  rate: string;
  effectiveFrom?: string;
}

/**
 * A network's finance staff set a manual exchange rate. Rates are never edited: a new
 * rate with a later effectiveFrom replaces the old one from then on, and conversions
 * keep the rate they were converted with.
 */
export async function createFxRate(deps: Deps, actor: Actor, input: CreateFxRateInput): Promise<FxRateView> {
  requireNetworkRole(actor, ['owner', 'admin', 'finance']);
  if (input.from === input.to) {
    throw new DomainError('validation_failed', 'A rate converts between two different currencies.', {
      errors: [{ path: 'to', message: 'must differ from from' }],
    });
  }
  currencyExponent(input.from);
  currencyExponent(input.to);
  const rateNano = parseRate(input.rate);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const row = await tx.fxRate.create({
      data: {
        id: newId('fxRate'),
        tenantId: actor.tenantId,
        fromCurrency: input.from,
        toCurrency: input.to,
        rateNano,
        effectiveFrom: input.effectiveFrom ? new Date(input.effectiveFrom) : new Date(),
        createdByUserId: actor.type === 'user' ? actor.userId : null,
      },
    });
    await writeAudit(tx, actor, {
      action: 'fx_rate.created',
      subjectType: 'fx_rate',
      subjectId: row.id,
      data: { from: row.fromCurrency, to: row.toCurrency, rate: input.rate, effectiveFrom: row.effectiveFrom.toISOString() },
    });
    return toFxRateView(row);
  });
}
