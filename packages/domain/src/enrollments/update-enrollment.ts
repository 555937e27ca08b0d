import type { PlanOverride } from '@app/contracts/commission-plans';
import { Prisma } from '@app/db/generated/prisma/client';
import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { assertOverridePays, loadGroupOrThrow } from '../programs/program-groups';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantWrite } from '../shared/policies';
import { type EnrollmentView, lockEnrollmentOrThrow, toEnrollmentView } from './enrollment-view';

/** The merchant places a partner in a group and/or gives it a personal plan override
 *  (applied on top of the group's: enrollment > group > program). */
export async function updateEnrollment(
  deps: Deps,
  actor: Actor,
  programId: string,
  enrollmentId: string,
  input: { groupId?: string | null; planOverride?: PlanOverride | null },
): Promise<EnrollmentView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const program = await loadProgramOrThrow(tx, programId);
    requireMerchantWrite(actor, program.merchantId);
    const row = await lockEnrollmentOrThrow(tx, programId, enrollmentId);
    const groupId = input.groupId === undefined ? row.groupId : input.groupId;
    const group = groupId ? await loadGroupOrThrow(tx, programId, groupId) : null;
    const override = input.planOverride === undefined ? (row.planOverride as PlanOverride | null) : input.planOverride;
    await assertOverridePays(tx, programId, { ...((group?.planOverride as PlanOverride) ?? {}), ...(override ?? {}) });
    const updated = await tx.enrollment.update({
      where: { id: row.id },
      data: {
        groupId,
        ...(input.planOverride === undefined ? {} : { planOverride: input.planOverride === null ? Prisma.DbNull : (input.planOverride as object) }),
      },
    });
    await writeAudit(tx, actor, { action: 'enrollment.updated', subjectType: 'enrollment', subjectId: row.id, data: { programId, ...input } });
    return toEnrollmentView(updated);
  });
}
