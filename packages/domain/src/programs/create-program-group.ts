import type { PlanOverride } from '@app/contracts/commission-plans';
import { newId } from '@app/db/ids';
import { isUniqueViolation, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { requireMerchantWrite } from '../shared/policies';
import { assertOverridePays, type GroupView, toGroupView } from './program-groups';
import { loadProgramOrThrow } from './program-view';

/** Adds a partner level (Gold, Platinum…) whose override applies on top of the program's plan. */
export async function createProgramGroup(deps: Deps, actor: Actor, programId: string, input: { name: string; planOverride: PlanOverride }): Promise<GroupView> {
  try {
    return await withTenant(deps.prisma, actor.tenantId, async (tx) => {
      const program = await loadProgramOrThrow(tx, programId);
      requireMerchantWrite(actor, program.merchantId);
      await assertOverridePays(tx, programId, input.planOverride);
      const group = await tx.programGroup.create({
        data: { id: newId('group'), tenantId: actor.tenantId, programId, name: input.name, planOverride: input.planOverride as object },
      });
      await writeAudit(tx, actor, {
        action: 'program.group_created',
        subjectType: 'program',
        subjectId: programId,
        data: { groupId: group.id, name: group.name },
      });
      return toGroupView(group);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('already_exists', `The program already has a group called "${input.name}".`);
    throw error;
  }
}
