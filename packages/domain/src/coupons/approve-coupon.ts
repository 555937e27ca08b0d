import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { requirePartnerApprovedEnrollment } from '../links/require-approved-enrollment';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { type CouponView, loadVisibleCouponOrThrow, requireCouponManager, toCouponView } from './coupon-view';

/** The merchant accepts a code an affiliate asked for: it becomes active. */
export async function approveCoupon(deps: Deps, actor: Actor, couponId: string): Promise<CouponView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const { coupon, program } = await loadVisibleCouponOrThrow(tx, actor, couponId, { lock: true });
    requireCouponManager(actor, program.merchantId);
    if (coupon.status !== 'requested') {
      throw new DomainError('invalid_state', `Coupon ${couponId} is ${coupon.status}; only a requested coupon can be approved.`, { status: coupon.status });
    }
    await requirePartnerApprovedEnrollment(tx, program, coupon.affiliateId);
    const updated = await tx.coupon.update({ where: { id: couponId }, data: { status: 'active' } });
    await writeAudit(tx, actor, { action: 'coupon.approved', subjectType: 'coupon', subjectId: couponId, data: { code: coupon.code } });
    return toCouponView(updated);
  });
}
