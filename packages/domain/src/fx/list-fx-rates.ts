import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { memberMerchantIds, networkRole } from '../shared/policies';
import { type FxRateView, toFxRateView } from './fx-rate-view';

export interface ListFxRatesInput {
  limit: number;
  cursor?: string;
  from?: string;
  to?: string;
}

/** The network's exchange rates, newest first: network staff and merchants' members read them. */
export async function listFxRates(deps: Deps, actor: Actor, input: ListFxRatesInput): Promise<{ data: FxRateView[]; nextCursor: string | null }> {
  if (!networkRole(actor) && memberMerchantIds(actor).length === 0) throw forbidden('Exchange rates are for network staff and merchants.');
  const before = decodeCursor(input.cursor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const rows = await tx.fxRate.findMany({
      where: {
        ...(input.from ? { fromCurrency: input.from } : {}),
        ...(input.to ? { toCurrency: input.to } : {}),
        ...(before ? { id: { lt: before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    });
    const page = pageOf(rows, input.limit);
    return { data: page.data.map(toFxRateView), nextCursor: page.nextCursor };
  });
}
