import type { PlanOverride } from '@app/contracts/commission-plans';
import { isUniqueViolation, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { requireMerchantWrite } from '../shared/policies';
import { assertOverridePays, type GroupView, loadGroupOrThrow, toGroupView } from './program-groups';
import { loadProgramOrThrow } from './program-view';

export async function updateProgramGroup(
  deps: Deps,
  actor: Actor,
  programId: string,
  groupId: string,
  input: { name?: string; planOverride?: PlanOverride },
): Promise<GroupView> {
  try {
    return await withTenant(deps.prisma, actor.tenantId, async (tx) => {
      const program = await loadProgramOrThrow(tx, programId);
      requireMerchantWrite(actor, program.merchantId);
      await loadGroupOrThrow(tx, programId, groupId);
      if (input.planOverride) await assertOverridePays(tx, programId, input.planOverride);
      const group = await tx.programGroup.update({
        where: { id: groupId },
        data: { ...(input.name ? { name: input.name } : {}), ...(input.planOverride ? { planOverride: input.planOverride as object } : {}) },
      });
      await writeAudit(tx, actor, { action: 'program.group_updated', subjectType: 'program', subjectId: programId, data: { groupId, ...input } });
      return toGroupView(group);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('already_exists', `The program already has a group called "${input.name}".`);
    throw error;
  }
}
