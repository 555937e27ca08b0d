import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantWrite } from '../shared/policies';
import { approveEnrollmentRow } from './approve-enrollment-row';
import { assertTransition, type EnrollmentStatus, type EnrollmentView, lockEnrollmentOrThrow, toEnrollmentView } from './enrollment-view';

const OUTCOME = { reject: 'rejected', suspend: 'suspended' } as const;

/**
 * The merchant's decision on an enrollment: approve (from pending, rejected or
 * suspended), reject (a pending application) or suspend (an approved partner), with an
 * optional reason the affiliate sees. Suspending disables nothing else: links keep
 * redirecting, but an unapproved enrollment earns no commission.
 */
export async function decideEnrollment(
  deps: Deps,
  actor: Actor,
  programId: string,
  enrollmentId: string,
  action: 'approve' | 'reject' | 'suspend',
  input: { reason?: string },
): Promise<EnrollmentView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const program = await loadProgramOrThrow(tx, programId);
    requireMerchantWrite(actor, program.merchantId);
    const row = await lockEnrollmentOrThrow(tx, programId, enrollmentId);
    assertTransition(action, row.status as EnrollmentStatus);
    if (action === 'approve') return toEnrollmentView(await approveEnrollmentRow(tx, actor, row, program, input.reason ?? null));
    const updated = await tx.enrollment.update({
      where: { id: row.id },
      data: { status: OUTCOME[action], reason: input.reason ?? null, decidedAt: new Date() },
    });
    await writeAudit(tx, actor, {
      action: `enrollment.${OUTCOME[action]}`,
      subjectType: 'enrollment',
      subjectId: row.id,
      data: { programId, from: row.status, reason: input.reason },
    });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'enrollment.status_changed',
      subjectType: 'enrollment',
      subjectId: row.id,
      payload: { programId, affiliateId: row.affiliateId, from: row.status, to: updated.status, reason: input.reason ?? null },
    });
    return toEnrollmentView(updated);
  });
}
