import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { networkRole } from '../shared/policies';
import { type AffiliateView, toAffiliateView } from './affiliate-view';

export async function listAffiliates(
  deps: Deps,
  actor: Actor,
  input: { limit: number; cursor?: string; status?: AffiliateView['status']; q?: string },
): Promise<{ data: AffiliateView[]; nextCursor: string | null }> {
  if (!networkRole(actor)) throw forbidden('Only network staff can list affiliates.');
  const before = decodeCursor(input.cursor);
  const rows = await withTenant(deps.prisma, actor.tenantId, (tx) =>
    tx.affiliate.findMany({
      where: {
        ...(before ? { id: { lt: before } } : {}),
        ...(input.status ? { status: input.status } : {}),
        ...(input.q
          ? { OR: [{ name: { contains: input.q, mode: 'insensitive' as const } }, { email: { contains: input.q, mode: 'insensitive' as const } }] }
          : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    }),
  );
  const page = pageOf(rows, input.limit);
  return { data: page.data.map(toAffiliateView), nextCursor: page.nextCursor };
}
