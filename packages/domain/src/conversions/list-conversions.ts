import type { Prisma } from '@app/db/generated/prisma/client';
import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { affiliateIdOf, memberMerchantIds, networkRole } from '../shared/policies';
import { type ConversionStatus, type ConversionView, type PartnerConversionView, toConversionView, toPartnerConversionView } from './conversion-view';

export interface ListConversionsInput {
  limit: number;
  cursor?: string;
  programId?: string;
  affiliateId?: string;
  status?: ConversionStatus;
  type?: 'lead' | 'sale';
  externalId?: string;
  from?: string;
  to?: string;
}

/**
 * Conversions, newest first: network staff see all, a merchant's members (and its
 * secret key) its own, an affiliate those attributed to it (without customer data).
 */
export async function listConversions(
  deps: Deps,
  actor: Actor,
  input: ListConversionsInput,
): Promise<{ data: (ConversionView | PartnerConversionView)[]; nextCursor: string | null }> {
  const before = decodeCursor(input.cursor);
  const selfId = affiliateIdOf(actor);
  let scope: Prisma.ConversionWhereInput;
  if (networkRole(actor)) scope = {};
  else if (selfId) scope = { affiliateId: selfId, attribution: 'attributed' };
  else {
    const merchants = memberMerchantIds(actor);
    if (merchants.length === 0) throw forbidden('Conversions are for merchants, their affiliates and network staff.');
    scope = { merchantId: { in: merchants } };
  }
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const rows = await tx.conversion.findMany({
      where: {
        AND: [
          scope,
          {
            ...(input.programId ? { programId: input.programId } : {}),
            ...(input.affiliateId ? { affiliateId: input.affiliateId } : {}),
            ...(input.status ? { status: input.status } : {}),
            ...(input.type ? { type: input.type } : {}),
            ...(input.externalId ? { externalId: input.externalId } : {}),
            ...(input.from || input.to
              ? { occurredAt: { ...(input.from ? { gte: new Date(input.from) } : {}), ...(input.to ? { lt: new Date(input.to) } : {}) } }
              : {}),
            ...(before ? { id: { lt: before } } : {}),
          },
        ],
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    });
    const page = pageOf(rows, input.limit);
    if (selfId) return { data: page.data.map(toPartnerConversionView), nextCursor: page.nextCursor };
    const customerIds = [...new Set(page.data.map((c) => c.customerId).filter((id): id is string => !!id))];
    const customers = customerIds.length
      ? await tx.customer.findMany({ where: { id: { in: customerIds } }, select: { id: true, externalId: true, email: true } })
      : [];
    const byId = new Map(customers.map((c) => [c.id, c]));
    return { data: page.data.map((c) => toConversionView(c, c.customerId ? (byId.get(c.customerId) ?? null) : null)), nextCursor: page.nextCursor };
  });
}
