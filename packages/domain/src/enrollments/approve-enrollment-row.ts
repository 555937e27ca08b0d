import type { Enrollment, Program } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import { ensureDefaultLink } from '../links/ensure-default-link';
import type { Actor } from '../shared/actor';

/** Approves an enrollment row (already checked and locked by the caller) and gives the
 *  affiliate its default link to the program's landing page. */
export async function approveEnrollmentRow(tx: Tx, actor: Actor, row: Enrollment, program: Program, reason: string | null): Promise<Enrollment> {
  const approved = await tx.enrollment.update({ where: { id: row.id }, data: { status: 'approved', reason, decidedAt: new Date() } });
  await ensureDefaultLink(tx, {
    tenantId: actor.tenantId,
    enrollmentId: row.id,
    programId: program.id,
    affiliateId: row.affiliateId,
    destinationUrl: program.landingUrl,
  });
  await writeAudit(tx, actor, {
    action: 'enrollment.approved',
    subjectType: 'enrollment',
    subjectId: row.id,
    data: { programId: program.id, from: row.status, reason },
  });
  await recordEvent(tx, {
    tenantId: actor.tenantId,
    type: 'enrollment.approved',
    subjectType: 'enrollment',
    subjectId: row.id,
    payload: { programId: program.id, affiliateId: row.affiliateId, from: row.status },
  });
  return approved;
}
