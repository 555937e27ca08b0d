import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireMerchantWrite } from '../shared/policies';
import { type CreativeView, toCreativeView } from './creative-view';

/** Renames, edits the body of, or archives a creative (archived ones vanish for affiliates). */
export async function updateCreative(
  deps: Deps,
  actor: Actor,
  creativeId: string,
  input: { name?: string; status?: 'active' | 'archived'; body?: string },
): Promise<CreativeView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const creative = await tx.creative.findUnique({ where: { id: creativeId } });
    if (!creative) throw notFound('Creative', creativeId);
    const program = await loadProgramOrThrow(tx, creative.programId);
    requireMerchantWrite(actor, program.merchantId);
    const updated = await tx.creative.update({ where: { id: creativeId }, data: input });
    await writeAudit(tx, actor, { action: 'creative.updated', subjectType: 'creative', subjectId: creativeId, data: input });
    return toCreativeView(updated, deps.publicUrl);
  });
}
