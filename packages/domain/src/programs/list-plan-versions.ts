import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantRead } from '../shared/policies';
import { loadProgramOrThrow, type PlanVersionView, toPlanVersionView } from './program-view';

/** Every version of a program's plan, newest first. */
export async function listPlanVersions(deps: Deps, actor: Actor, programId: string): Promise<PlanVersionView[]> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const program = await loadProgramOrThrow(tx, programId);
    requireMerchantRead(actor, program.merchantId);
    const rows = await tx.programPlanVersion.findMany({ where: { programId }, orderBy: { version: 'desc' } });
    return rows.map(toPlanVersionView);
  });
}
