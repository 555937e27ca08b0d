import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { memberMerchantIds, networkRole } from '../shared/policies';

/**
 * The network's publisher directory: active affiliates' public profiles (no email),
 * which merchants search to invite partners. Filters: channel, country, category, text.
 */
export async function searchDirectory(
  deps: Deps,
  actor: Actor,
  input: { limit: number; cursor?: string; channel?: string; country?: string; category?: string; q?: string },
) {
  if (!networkRole(actor) && memberMerchantIds(actor).length === 0) throw forbidden('The publisher directory is for merchants and network staff.');
  const before = decodeCursor(input.cursor);
  const rows = await withTenant(deps.prisma, actor.tenantId, (tx) =>
    tx.affiliate.findMany({
      where: {
        status: 'active',
        ...(input.channel ? { channels: { has: input.channel } } : {}),
        ...(input.country ? { countries: { has: input.country } } : {}),
        ...(input.category ? { categories: { has: input.category } } : {}),
        ...(input.q
          ? { OR: [{ name: { contains: input.q, mode: 'insensitive' as const } }, { description: { contains: input.q, mode: 'insensitive' as const } }] }
          : {}),
        ...(before ? { id: { lt: before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
      select: { id: true, name: true, websites: true, channels: true, countries: true, categories: true, description: true },
    }),
  );
  return pageOf(rows, input.limit);
}
