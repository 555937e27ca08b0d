import type { FxRate } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';

/** The network's rate from → to in force at `at`: the newest with effectiveFrom ≤ at. */
export async function findFxRate(tx: Tx, tenantId: string, from: string, to: string, at: Date): Promise<FxRate | null> {
  return tx.fxRate.findFirst({
    where: { tenantId, fromCurrency: from, toCurrency: to, effectiveFrom: { lte: at } },
    orderBy: [{ effectiveFrom: 'desc' }, { id: 'desc' }],
  });
}
