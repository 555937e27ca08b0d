import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { decodeCursor, pageOf } from '../shared/pagination';
import { partnerRowScope } from '../shared/partner-scope';
import { type CouponStatus, type CouponView, toCouponView } from './coupon-view';

export interface ListCouponsInput {
  limit: number;
  cursor?: string;
  programId?: string;
  affiliateId?: string;
  status?: CouponStatus;
}

/** An affiliate's own coupons; a merchant's members see those of its programs; network
 *  staff see all. Filters narrow within what the actor may see. */
export async function listCoupons(deps: Deps, actor: Actor, input: ListCouponsInput): Promise<{ data: CouponView[]; nextCursor: string | null }> {
  const before = decodeCursor(input.cursor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const scope = await partnerRowScope(tx, actor, 'coupons');
    const rows = await tx.coupon.findMany({
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
    return { data: page.data.map(toCouponView), nextCursor: page.nextCursor };
  });
}
