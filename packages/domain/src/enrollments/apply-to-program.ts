import { newId } from '@app/db/ids';
import { isUniqueViolation, type Tx, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError, forbidden, notFound } from '../shared/errors';
import { affiliateIdOf } from '../shared/policies';
import { approveEnrollmentRow } from './approve-enrollment-row';
import { assertTransition, type EnrollmentView, toEnrollmentView } from './enrollment-view';

export async function requireActiveAffiliate(tx: Tx, actor: Actor): Promise<string> {
  const affiliateId = affiliateIdOf(actor);
  if (!affiliateId) throw forbidden('Only affiliates apply to programs; merchants invite with { affiliateId }.');
  const affiliate = await tx.affiliate.findUnique({ where: { id: affiliateId } });
  if (affiliate?.status !== 'active') {
    throw new DomainError('account_suspended', 'Your affiliate account is not active yet; the network reviews new partners.');
  }
  return affiliateId;
}

/**
 * An affiliate applies to a program it can see in the marketplace: auto-approve programs
 * approve at once (and create the default link), manual ones wait for the merchant,
 * invite-only ones refuse. Applying when invited accepts the invitation. Two applications
 * at once leave one enrollment: the second answers `already_exists`.
 */
export async function applyToProgram(
  deps: Deps,
  actor: Actor,
  programId: string,
  input: { message?: string },
): Promise<{ enrollment: EnrollmentView; created: boolean }> {
  try {
    return await withTenant(deps.prisma, actor.tenantId, async (tx) => {
      const affiliateId = await requireActiveAffiliate(tx, actor);
      const program = await loadProgramOrThrow(tx, programId);
      const existing = await tx.enrollment.findUnique({ where: { programId_affiliateId: { programId, affiliateId } } });
      if (program.visibility === 'private' && !existing) throw notFound('Program', programId);
      if (program.status !== 'active') throw new DomainError('invalid_state', `The program is ${program.status} and does not take applications.`);

      if (existing?.status === 'invited') {
        return { enrollment: toEnrollmentView(await approveEnrollmentRow(tx, actor, existing, program, null)), created: false };
      }
      if (existing) {
        if (existing.status !== 'declined') {
          throw new DomainError('already_exists', `You already have an enrollment in this program (${existing.status}).`, {
            id: existing.id,
            status: existing.status,
          });
        }
        assertTransition('apply', existing.status);
      }
      if (program.enrollmentMode === 'invite_only') throw new DomainError('forbidden', 'This program takes partners by invitation only.');

      const row = existing
        ? await tx.enrollment.update({ where: { id: existing.id }, data: { status: 'pending', message: input.message ?? null, reason: null, decidedAt: null } })
        : await tx.enrollment.create({
            data: { id: newId('enrollment'), tenantId: actor.tenantId, programId, affiliateId, status: 'pending', message: input.message ?? null },
          });
      await writeAudit(tx, actor, { action: 'enrollment.applied', subjectType: 'enrollment', subjectId: row.id, data: { programId } });
      await recordEvent(tx, {
        tenantId: actor.tenantId,
        type: 'enrollment.created',
        subjectType: 'enrollment',
        subjectId: row.id,
        payload: { programId, affiliateId, status: 'pending' },
      });
      const final = program.enrollmentMode === 'auto' ? await approveEnrollmentRow(tx, actor, row, program, null) : row;
      return { enrollment: toEnrollmentView(final), created: !existing };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('already_exists', 'You already have an enrollment in this program.');
    throw error;
  }
}
