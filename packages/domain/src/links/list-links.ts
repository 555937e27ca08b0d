import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { decodeCursor, pageOf } from '../shared/pagination';
import { partnerRowScope } from '../shared/partner-scope';
import { type LinkView, toLinkView } from './link-view';

export interface ListLinksInput {
  limit: number;
  cursor?: string;
  programId?: string;
  affiliateId?: string;
  status?: LinkView['status'];
}

/** An affiliate's own links; a merchant's members see the links of its programs; network
 *  staff see all. Filters narrow within what the actor may see, never widen it. */
export async function listLinks(
  deps: Deps,
  actor: Actor,
  input: ListLinksInput,
  trackingBaseUrl: string,
): Promise<{ data: LinkView[]; nextCursor: string | null }> {
  const before = decodeCursor(input.cursor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const scope = await partnerRowScope(tx, actor, 'links');
    const rows = await tx.link.findMany({
      where: {
        AND: [
          scope,
          {
            ...(input.programId ? { programId: input.programId } : {}),
            ...(input.affiliateId ? { affiliateId: input.affiliateId } : {}),
            ...(input.status ? { status: input.status } : {}),
            ...(before ? { id: { lt: before } } : {}),
          },
        ],
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    });
    const page = pageOf(rows, input.limit);
    return { data: page.data.map((l) => toLinkView(l, trackingBaseUrl)), nextCursor: page.nextCursor };
  });
}
