import type { Affiliate } from '@app/db/generated/prisma/client';
import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden, notFound } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { affiliateIdOf, networkRole, requireNetworkRole } from '../shared/policies';

// Affiliate accounts as the network sees them. Affiliates read and edit only their own;
// merchants reach affiliates through programs and the directory, not through this list.

export interface AffiliateView {
  id: string;
  name: string;
  email: string;
  website: string | null;
  status: 'pending' | 'active' | 'suspended';
  parentAffiliateId: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toAffiliateView(a: Affiliate): AffiliateView {
  return {
    id: a.id,
    name: a.name,
    email: a.email,
    website: a.website,
    status: a.status as AffiliateView['status'],
    parentAffiliateId: a.parentAffiliateId,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

function requireSelfOrNetwork(actor: Actor, affiliateId: string): void {
  if (networkRole(actor) || affiliateIdOf(actor) === affiliateId) return;
  throw notFound('Affiliate', affiliateId);
}

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

export async function getAffiliateOrThrow(deps: Deps, actor: Actor, affiliateId: string): Promise<AffiliateView> {
  requireSelfOrNetwork(actor, affiliateId);
  const row = await withTenant(deps.prisma, actor.tenantId, (tx) => tx.affiliate.findUnique({ where: { id: affiliateId } }));
  if (!row) throw notFound('Affiliate', affiliateId);
  return toAffiliateView(row);
}

/** The affiliate edits its profile; network owners/admins also change its status. */
export async function updateAffiliate(
  deps: Deps,
  actor: Actor,
  affiliateId: string,
  input: { name?: string; website?: string | null; status?: 'active' | 'suspended'; reason?: string },
): Promise<AffiliateView> {
  requireSelfOrNetwork(actor, affiliateId);
  if (input.status !== undefined) requireNetworkRole(actor, ['owner', 'admin']);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const before = await tx.affiliate.findUnique({ where: { id: affiliateId } });
    if (!before) throw notFound('Affiliate', affiliateId);
    const { reason, ...data } = input;
    const after = await tx.affiliate.update({ where: { id: affiliateId }, data });
    await writeAudit(tx, actor, { action: 'affiliate.updated', subjectType: 'affiliate', subjectId: affiliateId, data: { ...data, reason } });
    if (input.status !== undefined && input.status !== before.status) {
      await recordEvent(tx, {
        tenantId: actor.tenantId,
        type: 'affiliate.status_changed',
        subjectType: 'affiliate',
        subjectId: affiliateId,
        payload: { from: before.status, to: after.status, reason: reason ?? null, email: after.email, name: after.name },
      });
    }
    return toAffiliateView(after);
  });
}
