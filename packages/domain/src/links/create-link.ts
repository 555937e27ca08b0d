import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { requireAllowedDestination } from '../programs/destination-url';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { affiliateIdOf } from '../shared/policies';
import { insertLink } from './insert-link';
import { type LinkView, toLinkView } from './link-view';
import { requireOwnApprovedEnrollment } from './require-approved-enrollment';

export interface CreateLinkInput {
  programId: string;
  destinationUrl?: string;
  label?: string;
  sub1?: string;
  sub2?: string;
  sub3?: string;
  sub4?: string;
  sub5?: string;
}

/**
 * An affiliate with an approved enrollment makes a tracked link: to the program's landing
 * page, or a deep link on one of the program's allowed domains (stored normalised).
 */
export async function createLink(deps: Deps, actor: Actor, input: CreateLinkInput, trackingBaseUrl: string): Promise<LinkView> {
  const affiliateId = affiliateIdOf(actor);
  if (!affiliateId) throw forbidden('Tracked links are made by affiliates, for themselves.');
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const { program, enrollment } = await requireOwnApprovedEnrollment(tx, input.programId, affiliateId);
    const destinationUrl =
      input.destinationUrl === undefined ? program.landingUrl : requireAllowedDestination(input.destinationUrl, program.allowedDomains, 'destinationUrl');
    const link = await insertLink(tx, {
      tenantId: actor.tenantId,
      programId: program.id,
      affiliateId,
      enrollmentId: enrollment.id,
      destinationUrl,
      label: input.label ?? null,
      sub1: input.sub1 ?? null,
      sub2: input.sub2 ?? null,
      sub3: input.sub3 ?? null,
      sub4: input.sub4 ?? null,
      sub5: input.sub5 ?? null,
      isDefault: false,
    });
    await writeAudit(tx, actor, {
      action: 'link.created',
      subjectType: 'link',
      subjectId: link.id,
      data: { programId: program.id, code: link.code, destinationUrl },
    });
    return toLinkView(link, trackingBaseUrl);
  });
}
