import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { affiliateIdOf, memberMerchantIds, networkRole } from '../shared/policies';
import { type CreativeView, toCreativeView } from './creative-view';

/**
 * Merchants see their programs' creatives; an affiliate sees the active creatives of the
 * programs it is approved in, each with its own default link embedded.
 */
export async function listCreatives(
  deps: Deps,
  actor: Actor,
  input: { limit: number; cursor?: string; programId?: string; type?: CreativeView['type'] },
): Promise<{ data: CreativeView[]; nextCursor: string | null }> {
  const before = decodeCursor(input.cursor);
  const affiliateId = affiliateIdOf(actor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    let programIds: string[] | null = null;
    let linkByProgram = new Map<string, string>();
    if (networkRole(actor)) {
      programIds = null;
    } else if (affiliateId) {
      const enrollments = await tx.enrollment.findMany({ where: { affiliateId, status: 'approved' }, select: { id: true, programId: true } });
      programIds = enrollments.map((e) => e.programId);
      const links = await tx.link.findMany({ where: { enrollmentId: { in: enrollments.map((e) => e.id) }, isDefault: true, status: 'active' } });
      linkByProgram = new Map(links.map((l) => [l.programId, `${deps.publicUrl}/c/${l.code}`]));
    } else {
      const merchants = memberMerchantIds(actor);
      if (merchants.length === 0) throw forbidden('Creatives are for merchants and their approved affiliates.');
      programIds = (await tx.program.findMany({ where: { merchantId: { in: merchants } }, select: { id: true } })).map((p) => p.id);
    }
    if (input.programId) programIds = programIds ? programIds.filter((id) => id === input.programId) : [input.programId];
    const rows = await tx.creative.findMany({
      where: {
        ...(programIds ? { programId: { in: programIds } } : {}),
        ...(affiliateId ? { status: 'active' } : {}),
        ...(input.type ? { type: input.type } : {}),
        ...(before ? { id: { lt: before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    });
    const page = pageOf(rows, input.limit);
    return {
      data: page.data.map((c) => toCreativeView(c, deps.publicUrl, affiliateId ? (linkByProgram.get(c.programId) ?? null) : null)),
      nextCursor: page.nextCursor,
    };
  });
}
