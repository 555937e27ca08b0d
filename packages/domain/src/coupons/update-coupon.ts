import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { requirePartnerApprovedEnrollment } from '../links/require-approved-enrollment';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { type CouponView, loadVisibleCouponOrThrow, requireCouponManager, requireValidWindow, toCouponView } from './coupon-view';

export type UpdateCouponInput = Partial<{
  status: 'active' | 'disabled';
  validFrom: string | null;
  validUntil: string | null;
}>;

const date = (v: string | null | undefined, current: Date | null) => (v === undefined ? current : v === null ? null : new Date(v));

/**
 * The merchant switches a coupon off and on or changes its validity. A requested or
 * rejected coupon is not switched on here (approve it instead); switching on needs the
 * affiliate's enrollment to still be approved.
 */
export async function updateCoupon(deps: Deps, actor: Actor, couponId: string, input: UpdateCouponInput): Promise<CouponView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const { coupon, program } = await loadVisibleCouponOrThrow(tx, actor, couponId, { lock: true });
    requireCouponManager(actor, program.merchantId);
    if (input.status && input.status !== coupon.status && coupon.status !== 'active' && coupon.status !== 'disabled') {
      throw new DomainError('invalid_state', `Coupon ${couponId} is ${coupon.status}: approve or reject the request instead.`, {
        from: coupon.status,
        to: input.status,
      });
    }
    if (input.status === 'active' && coupon.status !== 'active') await requirePartnerApprovedEnrollment(tx, program, coupon.affiliateId);
    const validFrom = date(input.validFrom, coupon.validFrom);
    const validUntil = date(input.validUntil, coupon.validUntil);
    requireValidWindow(validFrom, validUntil);
    const updated = await tx.coupon.update({
      where: { id: couponId },
      data: { ...(input.status ? { status: input.status } : {}), validFrom, validUntil },
    });
    await writeAudit(tx, actor, { action: 'coupon.updated', subjectType: 'coupon', subjectId: couponId, data: { changed: Object.keys(input), ...input } });
    return toCouponView(updated);
  });
}
