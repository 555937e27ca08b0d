import { newId } from '@app/db/ids';
import { isUniqueViolation, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError, notFound } from '../shared/errors';
import { requireMerchantWrite } from '../shared/policies';
import { assertTransition, type EnrollmentView, toEnrollmentView } from './enrollment-view';

/** A merchant invites an affiliate of the network (found in the directory). */
export async function inviteAffiliate(deps: Deps, actor: Actor, programId: string, input: { affiliateId: string; message?: string }): Promise<EnrollmentView> {
  try {
    return await withTenant(deps.prisma, actor.tenantId, async (tx) => {
      const program = await loadProgramOrThrow(tx, programId);
      requireMerchantWrite(actor, program.merchantId);
      if (program.status === 'archived') throw new DomainError('invalid_state', 'An archived program cannot invite partners.');
      const affiliate = await tx.affiliate.findUnique({ where: { id: input.affiliateId } });
      if (!affiliate) throw notFound('Affiliate', input.affiliateId);
      if (affiliate.status !== 'active') throw new DomainError('invalid_state', `The affiliate is ${affiliate.status} and cannot be invited.`);
      const existing = await tx.enrollment.findUnique({ where: { programId_affiliateId: { programId, affiliateId: affiliate.id } } });
      if (existing) assertTransition('invite', existing.status as never);
      const data = {
        status: 'invited',
        message: input.message ?? null,
        reason: null,
        decidedAt: null,
        invitedByUserId: actor.type === 'user' ? actor.userId : null,
      };
      const row = existing
        ? await tx.enrollment.update({ where: { id: existing.id }, data })
        : await tx.enrollment.create({ data: { ...data, id: newId('enrollment'), tenantId: actor.tenantId, programId, affiliateId: affiliate.id } });
      await writeAudit(tx, actor, {
        action: 'enrollment.invited',
        subjectType: 'enrollment',
        subjectId: row.id,
        data: { programId, affiliateId: affiliate.id },
      });
      await recordEvent(tx, {
        tenantId: actor.tenantId,
        type: 'enrollment.created',
        subjectType: 'enrollment',
        subjectId: row.id,
        payload: { programId, affiliateId: affiliate.id, status: 'invited' },
      });
      return toEnrollmentView(row);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('already_exists', 'This affiliate already has an enrollment in the program.');
    throw error;
  }
}
