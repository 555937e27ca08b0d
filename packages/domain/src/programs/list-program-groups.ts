import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantRead } from '../shared/policies';
import { type GroupView, toGroupView } from './program-groups';
import { loadProgramOrThrow } from './program-view';

export async function listProgramGroups(deps: Deps, actor: Actor, programId: string): Promise<GroupView[]> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const program = await loadProgramOrThrow(tx, programId);
    requireMerchantRead(actor, program.merchantId);
    const rows = await tx.programGroup.findMany({ where: { programId }, orderBy: { name: 'asc' } });
    return rows.map(toGroupView);
  });
}
