import type { Link } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import { notFound } from '../shared/errors';
import { affiliateIdOf, merchantRole, networkRole } from '../shared/policies';

export interface LinkView {
  id: string;
  code: string;
  url: string;
  programId: string;
  affiliateId: string;
  destinationUrl: string;
  label: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
  isDefault: boolean;
  status: 'active' | 'disabled';
  createdAt: string;
  updatedAt: string;
}

/** `trackingBaseUrl` is where `/c/{code}` is served (the public URL, no trailing slash). */
export function toLinkView(link: Link, trackingBaseUrl: string): LinkView {
  return {
    id: link.id,
    code: link.code,
    url: `${trackingBaseUrl.replace(/\/+$/, '')}/c/${link.code}`,
    programId: link.programId,
    affiliateId: link.affiliateId,
    destinationUrl: link.destinationUrl,
    label: link.label,
    sub1: link.sub1,
    sub2: link.sub2,
    sub3: link.sub3,
    sub4: link.sub4,
    sub5: link.sub5,
    isDefault: link.isDefault,
    status: link.status as LinkView['status'],
    createdAt: link.createdAt.toISOString(),
    updatedAt: link.updatedAt.toISOString(),
  };
}

/** Who may read a link: its affiliate, the program's merchant members, network staff. */
export async function canReadLink(tx: Tx, actor: Actor, link: Pick<Link, 'affiliateId' | 'programId'>): Promise<boolean> {
  if (networkRole(actor) || affiliateIdOf(actor) === link.affiliateId) return true;
  const program = await tx.program.findUnique({ where: { id: link.programId }, select: { merchantId: true } });
  return program !== null && merchantRole(actor, program.merchantId) !== null;
}

/** The link, or not_found when it is missing, in another tenant, or not the actor's to see. */
export async function loadVisibleLinkOrThrow(tx: Tx, actor: Actor, linkId: string): Promise<Link> {
  const link = await tx.link.findUnique({ where: { id: linkId } });
  if (!link || !(await canReadLink(tx, actor, link))) throw notFound('Link', linkId);
  return link;
}
