import type { Coupon } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import { DomainError, forbidden, notFound } from '../shared/errors';
import { affiliateIdOf, merchantRole, networkRole } from '../shared/policies';

export type CouponStatus = 'requested' | 'active' | 'disabled' | 'rejected';

export interface CouponView {
  id: string;
  programId: string;
  affiliateId: string;
  code: string;
  status: CouponStatus;
  validFrom: string | null;
  validUntil: string | null;
  createdByUserId: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toCouponView(c: Coupon): CouponView {
  return {
    id: c.id,
    programId: c.programId,
    affiliateId: c.affiliateId,
    code: c.code,
    status: c.status as CouponStatus,
    validFrom: c.validFrom?.toISOString() ?? null,
    validUntil: c.validUntil?.toISOString() ?? null,
    createdByUserId: c.createdByUserId,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** Codes are compared in any case: shoppers type SUMMER10, Summer10 or summer10. */
export function normalizeCouponCode(code: string): string {
  return code.trim().toUpperCase();
}

/** validUntil is exclusive and must come after validFrom. */
export function requireValidWindow(validFrom: Date | null, validUntil: Date | null): void {
  if (validFrom && validUntil && validUntil.getTime() <= validFrom.getTime()) {
    throw new DomainError('validation_failed', 'validUntil must be after validFrom.', { errors: [{ path: 'validUntil', message: 'must be after validFrom' }] });
  }
}

/** The coupon's affiliate, the program's merchant members and network staff may read it. */
export async function loadVisibleCouponOrThrow(tx: Tx, actor: Actor, couponId: string, options: { lock?: boolean } = {}) {
  if (options.lock) await tx.$queryRaw`SELECT id FROM coupons WHERE id = ${couponId} FOR UPDATE`;
  const coupon = await tx.coupon.findUnique({ where: { id: couponId } });
  if (!coupon) throw notFound('Coupon', couponId);
  const program = await tx.program.findUnique({ where: { id: coupon.programId } });
  if (!program) throw notFound('Coupon', couponId);
  if (!networkRole(actor) && affiliateIdOf(actor) !== coupon.affiliateId && !merchantRole(actor, program.merchantId)) throw notFound('Coupon', couponId);
  return { coupon, program };
}

/** Coupons are managed by the merchant's owner/admin (or network owner/admin); others who
 *  can see the coupon — its affiliate, merchant analysts — get 403. */
export function requireCouponManager(actor: Actor, merchantId: string): void {
  const nRole = networkRole(actor);
  const mRole = merchantRole(actor, merchantId);
  if (nRole === 'owner' || nRole === 'admin' || mRole === 'owner' || mRole === 'admin') return;
  throw forbidden("Coupons are managed by the program's merchant (owner or admin).");
}
