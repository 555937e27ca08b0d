import { withTenant } from '@app/db/with-tenant';
import { planVersionsAround } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { affiliateIdOf } from '../shared/policies';

export interface MarketplaceFilters {
  limit: number;
  cursor?: string;
  category?: string;
  commissionType?: 'lead' | 'sale' | 'recurring';
  currency?: string;
  q?: string;
}

/**
 * What an affiliate may browse and apply to: the network's active public programs, plus
 * private ones it was invited to or is enrolled in, with its own enrollment status.
 * Drafts, archived programs and others' private programs never appear.
 */
export async function browseMarketplace(deps: Deps, actor: Actor, input: MarketplaceFilters) {
  const affiliateId = affiliateIdOf(actor);
  if (!affiliateId) throw forbidden('The marketplace is for affiliates.');
  const before = decodeCursor(input.cursor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const mine = await tx.enrollment.findMany({ where: { affiliateId }, select: { id: true, programId: true, status: true } });
    const byProgram = new Map(mine.map((e) => [e.programId, e]));
    const rows = await tx.program.findMany({
      where: {
        status: 'active',
        AND: [
          { OR: [{ visibility: 'public' }, { id: { in: [...byProgram.keys()] } }] },
          ...(input.q
            ? [{ OR: [{ name: { contains: input.q, mode: 'insensitive' as const } }, { description: { contains: input.q, mode: 'insensitive' as const } }] }]
            : []),
        ],
        ...(input.category ? { category: { equals: input.category, mode: 'insensitive' as const } } : {}),
        ...(input.currency ? { currency: input.currency } : {}),
        ...(before ? { id: { lt: before } } : {}),
      },
      orderBy: { id: 'desc' },
      // Programs of suspended merchants and those not paying the asked type are skipped
      // below, so read ahead of the page.
      take: Math.min(input.limit * 4 + 1, 2000),
    });
    const merchants = await tx.merchant.findMany({
      where: { id: { in: [...new Set(rows.map((r) => r.merchantId))] } },
      select: { id: true, name: true, status: true },
    });
    const merchantById = new Map(merchants.map((m) => [m.id, m]));
    const views = [];
    for (const p of rows) {
      const merchant = merchantById.get(p.merchantId);
      if (merchant?.status !== 'active') continue;
      const { current } = await planVersionsAround(tx, p.id);
      const plan = (current?.plan as Record<string, unknown> | undefined) ?? null;
      if (input.commissionType && !(plan && input.commissionType in plan)) continue;
      const enrollment = byProgram.get(p.id);
      views.push({
        id: p.id,
        merchantId: p.merchantId,
        merchantName: merchant.name,
        name: p.name,
        description: p.description,
        category: p.category,
        landingUrl: p.landingUrl,
        currency: p.currency,
        cookieDays: p.cookieDays,
        holdDays: p.holdDays,
        enrollmentMode: p.enrollmentMode as 'auto' | 'manual' | 'invite_only',
        terms: p.terms,
        exclusivityNote: p.exclusivityNote,
        plan,
        myEnrollment: enrollment ? { id: enrollment.id, status: enrollment.status as never } : null,
      });
      if (views.length > input.limit) break;
    }
    return pageOf(views, input.limit);
  });
}
