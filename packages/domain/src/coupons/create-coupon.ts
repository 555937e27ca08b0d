import { newId } from '@app/db/ids';
import { isUniqueViolation, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { requireOwnApprovedEnrollment, requirePartnerApprovedEnrollment } from '../links/require-approved-enrollment';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError, forbidden } from '../shared/errors';
import { affiliateIdOf, requireMerchantWrite } from '../shared/policies';
import { type CouponView, normalizeCouponCode, requireValidWindow, toCouponView } from './coupon-view';

export interface CreateCouponInput {
  programId: string;
  affiliateId?: string;
  code: string;
  validFrom?: string;
  validUntil?: string;
}

/**
 * A merchant gives an approved partner a coupon code (active at once), or an affiliate
 * asks for one for itself (requested, until the merchant approves). A code is unique in
 * its program in any case; the unique index decides races, so exactly one of many
 * concurrent requests for SUMMER10 / summer10 wins.
 */
export async function createCoupon(deps: Deps, actor: Actor, input: CreateCouponInput): Promise<CouponView> {
  const validFrom = input.validFrom ? new Date(input.validFrom) : null;
  const validUntil = input.validUntil ? new Date(input.validUntil) : null;
  requireValidWindow(validFrom, validUntil);
  const selfId = affiliateIdOf(actor);
  if (selfId && input.affiliateId && input.affiliateId !== selfId) throw forbidden('Affiliates request coupon codes for themselves only.');
  if (!selfId && !input.affiliateId) {
    throw new DomainError('validation_failed', 'Name the affiliate the code belongs to.', { errors: [{ path: 'affiliateId', message: 'is required' }] });
  }

  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    let affiliateId: string;
    let status: 'requested' | 'active';
    if (selfId) {
      await requireOwnApprovedEnrollment(tx, input.programId, selfId);
      affiliateId = selfId;
      status = 'requested';
    } else {
      const program = await loadProgramOrThrow(tx, input.programId);
      requireMerchantWrite(actor, program.merchantId);
      affiliateId = input.affiliateId as string;
      await requirePartnerApprovedEnrollment(tx, program, affiliateId);
      status = 'active';
    }
    let coupon: Awaited<ReturnType<typeof tx.coupon.create>>;
    try {
      coupon = await tx.coupon.create({
        data: {
          id: newId('coupon'),
          tenantId: actor.tenantId,
          programId: input.programId,
          affiliateId,
          code: input.code,
          codeNormalized: normalizeCouponCode(input.code),
          status,
          validFrom,
          validUntil,
          createdByUserId: actor.type === 'user' ? actor.userId : null,
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('already_exists', `The code ${input.code} is already used in this program (codes are compared in any case).`, {
          programId: input.programId,
          code: input.code,
        });
      }
      throw error;
    }
    await writeAudit(tx, actor, {
      action: status === 'active' ? 'coupon.created' : 'coupon.requested',
      subjectType: 'coupon',
      subjectId: coupon.id,
      data: { programId: coupon.programId, affiliateId, code: coupon.code, status },
    });
    return toCouponView(coupon);
  });
}
