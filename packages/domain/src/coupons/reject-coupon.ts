import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { type CouponView, loadVisibleCouponOrThrow, requireCouponManager, toCouponView } from './coupon-view';

/** The merchant turns down a code an affiliate asked for (the reason goes to the audit log). */
export async function rejectCoupon(deps: Deps, actor: Actor, couponId: string, input: { reason?: string } = {}): Promise<CouponView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const { coupon, program } = await loadVisibleCouponOrThrow(tx, actor, couponId, { lock: true });
    requireCouponManager(actor, program.merchantId);
    if (coupon.status !== 'requested') {
      throw new DomainError('invalid_state', `Coupon ${couponId} is ${coupon.status}; only a requested coupon can be rejected.`, { status: coupon.status });
    }
    const updated = await tx.coupon.update({ where: { id: couponId }, data: { status: 'rejected' } });
    await writeAudit(tx, actor, {
      action: 'coupon.rejected',
      subjectType: 'coupon',
      subjectId: couponId,
      data: { code: coupon.code, reason: input.reason ?? null },
    });
    return toCouponView(updated);
  });
}
