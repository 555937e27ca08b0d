import type { Link } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { insertLink } from './insert-link';

export interface EnsureDefaultLinkInput {
  tenantId: string;
  enrollmentId: string;
  programId: string;
  affiliateId: string;
  /** Normally the program's landing URL (already validated with the program). */
  destinationUrl: string;
}

/**
 * The enrollment's default link, created on first call (on approval) and returned as is
 * afterwards — also when two approvals race: the partial unique index keeps one default
 * per enrollment and the loser gets the winner's link. Runs in the caller's transaction.
 */
export async function ensureDefaultLink(tx: Tx, input: EnsureDefaultLinkInput): Promise<Link> {
  const existing = await tx.link.findFirst({ where: { enrollmentId: input.enrollmentId, isDefault: true } });
  if (existing) return existing;
  return insertLink(tx, {
    tenantId: input.tenantId,
    programId: input.programId,
    affiliateId: input.affiliateId,
    enrollmentId: input.enrollmentId,
    destinationUrl: input.destinationUrl,
    isDefault: true,
  });
}
