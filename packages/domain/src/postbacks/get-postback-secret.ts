import { withTenant } from '@app/db/with-tenant';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { type PostbackSecretView, toPostbackSecretView } from './postback-secret-view';
import { requireProgramWrite } from './program-write-access';

/** The program's postback secret, for the merchant's owners and admins (or secret key) and network owners and admins. */
export async function getPostbackSecret(deps: Deps, actor: Actor, programId: string): Promise<PostbackSecretView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const program = await loadProgramOrThrow(tx, programId);
    requireProgramWrite(actor, program);
    return toPostbackSecretView(program, deps.publicUrl);
  });
}
