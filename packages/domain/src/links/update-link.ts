import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { requireAllowedDestination } from '../programs/destination-url';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { affiliateIdOf } from '../shared/policies';
import { type LinkView, loadVisibleLinkOrThrow, toLinkView } from './link-view';
import { requireOwnApprovedEnrollment } from './require-approved-enrollment';

export type UpdateLinkInput = Partial<{
  destinationUrl: string | null;
  label: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
  status: LinkView['status'];
}>;

/**
 * The affiliate edits its own link. A new destination is checked against the program's
 * allowed domains as they are now (null: back to the landing page). Changing where a link
 * goes or switching it back on needs the enrollment to still be approved; relabelling or
 * disabling does not.
 */
export async function updateLink(deps: Deps, actor: Actor, linkId: string, input: UpdateLinkInput, trackingBaseUrl: string): Promise<LinkView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const before = await loadVisibleLinkOrThrow(tx, actor, linkId);
    if (affiliateIdOf(actor) !== before.affiliateId) throw forbidden('Only the affiliate who owns a link edits it.');
    const { destinationUrl: rawDestination, ...fields } = input;
    let destinationUrl: string | undefined;
    if (rawDestination !== undefined || input.status === 'active') {
      const { program } = await requireOwnApprovedEnrollment(tx, before.programId, before.affiliateId);
      if (rawDestination !== undefined) {
        destinationUrl = rawDestination === null ? program.landingUrl : requireAllowedDestination(rawDestination, program.allowedDomains, 'destinationUrl');
      }
    }
    const link = await tx.link.update({ where: { id: linkId }, data: { ...fields, ...(destinationUrl ? { destinationUrl } : {}) } });
    await writeAudit(tx, actor, {
      action: 'link.updated',
      subjectType: 'link',
      subjectId: linkId,
      data: { changed: Object.keys(input), ...fields, ...(destinationUrl ? { destinationUrl } : {}) },
    });
    return toLinkView(link, trackingBaseUrl);
  });
}
