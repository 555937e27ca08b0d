import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { type CommissionKind, type CommissionStatus, type CommissionView, commissionScope, toCommissionView } from './commission-view';

export interface ListCommissionsInput {
  limit: number;
  cursor?: string;
  status?: CommissionStatus;
  kind?: CommissionKind;
  programId?: string;
  affiliateId?: string;
  conversionId?: string;
  /** createdAt at or after / before (RFC 3339). */
  from?: string;
  to?: string;
}

/**
 * Commission lines, newest first (by id), within what the actor may see
 * (`commissionScope`). Filters narrow the scope and never widen it: another merchant's
 * program or another affiliate's id answers an empty page.
 */
export async function listCommissions(deps: Deps, actor: Actor, input: ListCommissionsInput): Promise<{ data: CommissionView[]; nextCursor: string | null }> {
  const before = decodeCursor(input.cursor);
  const scope = commissionScope(actor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const rows = await tx.commission.findMany({
      where: {
        AND: [
          { tenantId: actor.tenantId },
          scope.where,
          {
            ...(input.status ? { status: input.status } : {}),
            ...(input.kind ? { kind: input.kind } : {}),
            ...(input.programId ? { programId: input.programId } : {}),
            ...(input.affiliateId ? { affiliateId: input.affiliateId } : {}),
            ...(input.conversionId ? { conversionId: input.conversionId } : {}),
            ...(input.from || input.to
              ? { createdAt: { ...(input.from ? { gte: new Date(input.from) } : {}), ...(input.to ? { lt: new Date(input.to) } : {}) } }
              : {}),
            ...(before ? { id: { lt: before } } : {}),
          },
        ],
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    });
    const page = pageOf(rows, input.limit);
    return { data: page.data.map((c) => toCommissionView(c, scope.asAffiliate)), nextCursor: page.nextCursor };
  });
}

/** One commission line the actor may see; anything else (another merchant's, another network's, a fee for an affiliate) is 404. */
export async function getCommission(deps: Deps, actor: Actor, id: string): Promise<CommissionView> {
  const scope = commissionScope(actor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const row = await tx.commission.findFirst({ where: { AND: [{ id, tenantId: actor.tenantId }, scope.where] } });
    if (!row) throw notFound('Commission', id);
    return toCommissionView(row, scope.asAffiliate);
  });
}
