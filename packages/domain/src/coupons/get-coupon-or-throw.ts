import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { type CouponView, loadVisibleCouponOrThrow, toCouponView } from './coupon-view';

/** A coupon, for its affiliate, the program's merchant members or network staff. */
export async function getCouponOrThrow(deps: Deps, actor: Actor, couponId: string): Promise<CouponView> {
  const { coupon } = await withTenant(deps.prisma, actor.tenantId, (tx) => loadVisibleCouponOrThrow(tx, actor, couponId));
  return toCouponView(coupon);
}
