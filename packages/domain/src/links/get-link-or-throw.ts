import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { type LinkView, loadVisibleLinkOrThrow, toLinkView } from './link-view';

/** A link, for its affiliate, the program's merchant members or network staff. */
export async function getLinkOrThrow(deps: Deps, actor: Actor, linkId: string, trackingBaseUrl: string): Promise<LinkView> {
  const link = await withTenant(deps.prisma, actor.tenantId, (tx) => loadVisibleLinkOrThrow(tx, actor, linkId));
  return toLinkView(link, trackingBaseUrl);
}
