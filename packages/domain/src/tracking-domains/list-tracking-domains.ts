import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireNetworkRole } from '../shared/policies';
import { type TrackingDomainView, toTrackingDomainView } from './tracking-domain-view';

export async function listTrackingDomains(deps: Deps, actor: Actor): Promise<{ data: TrackingDomainView[] }> {
  requireNetworkRole(actor, ['owner', 'admin', 'finance', 'analyst']);
  const rows = await withTenant(deps.prisma, actor.tenantId, (tx) => tx.trackingDomain.findMany({ orderBy: { host: 'asc' } }));
  return { data: rows.map(toTrackingDomainView) };
}
