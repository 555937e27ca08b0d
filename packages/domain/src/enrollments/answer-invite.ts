import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireActiveAffiliate } from './apply-to-program';
import { approveEnrollmentRow } from './approve-enrollment-row';
import { assertTransition, type EnrollmentStatus, type EnrollmentView, lockEnrollmentOrThrow, toEnrollmentView } from './enrollment-view';

/** The invited affiliate accepts (→ approved, with its default link) or declines. */
export async function answerInvite(deps: Deps, actor: Actor, programId: string, enrollmentId: string, answer: 'accept' | 'decline'): Promise<EnrollmentView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const affiliateId = await requireActiveAffiliate(tx, actor);
    const row = await lockEnrollmentOrThrow(tx, programId, enrollmentId);
    if (row.affiliateId !== affiliateId) throw notFound('Enrollment', enrollmentId);
    assertTransition(answer, row.status as EnrollmentStatus);
    const program = await loadProgramOrThrow(tx, programId);
    if (answer === 'accept') return toEnrollmentView(await approveEnrollmentRow(tx, actor, row, program, null));
    const declined = await tx.enrollment.update({ where: { id: row.id }, data: { status: 'declined', decidedAt: new Date() } });
    await writeAudit(tx, actor, { action: 'enrollment.declined', subjectType: 'enrollment', subjectId: row.id, data: { programId } });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'enrollment.status_changed',
      subjectType: 'enrollment',
      subjectId: row.id,
      payload: { programId, affiliateId, from: 'invited', to: 'declined' },
    });
    return toEnrollmentView(declined);
  });
}
