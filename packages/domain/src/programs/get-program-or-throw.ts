import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { merchantRole, networkRole } from '../shared/policies';
import { loadProgramOrThrow, type ProgramView, toProgramView } from './program-view';

/** Network staff and the merchant's members read a program in full. (Affiliates see
 *  programs through the marketplace and their enrollments.) */
export async function getProgramOrThrow(deps: Deps, actor: Actor, programId: string): Promise<ProgramView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const program = await loadProgramOrThrow(tx, programId);
    if (!networkRole(actor) && !merchantRole(actor, program.merchantId)) throw notFound('Program', programId);
    return toProgramView(tx, program);
  });
}
