import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireNetworkRole } from '../shared/policies';

/** Removes a custom tracking host; links on it answer 404 from then on. */
export async function removeTrackingDomain(deps: Deps, actor: Actor, id: string): Promise<void> {
  requireNetworkRole(actor);
  await withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const row = await tx.trackingDomain.findUnique({ where: { id } });
    if (!row) throw notFound('Tracking domain', id);
    await tx.trackingDomain.delete({ where: { id } });
    await writeAudit(tx, actor, { action: 'tracking_domain.removed', subjectType: 'tracking_domain', subjectId: id, data: { host: row.host } });
  });
}
