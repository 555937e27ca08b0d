import type { Conversion } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';

/**
 * The merchant's sale a Stripe payment stands for: its external id (an invoice or a
 * payment intent) or its payment reference is one of `refs`. Searched in every program
 * of the merchant, since an event may have named any of them.
 */
export async function findStripeSale(tx: Tx, merchantId: string, refs: string[]): Promise<Conversion | null> {
  if (refs.length === 0) return null;
  const programs = await tx.program.findMany({ where: { merchantId }, select: { id: true } });
  return tx.conversion.findFirst({
    where: {
      merchantId,
      type: 'sale',
      OR: [{ programId: { in: programs.map((p) => p.id) }, externalId: { in: refs } }, { paymentRef: { in: refs } }],
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
}
