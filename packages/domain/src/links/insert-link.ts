import type { Link, Prisma } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { DomainError } from '../shared/errors';
import { generateLinkCode } from './link-code';

export type NewLink = Omit<Prisma.LinkCreateManyInput, 'id' | 'code'>;

const MAX_ATTEMPTS = 8;

/**
 * Inserts a link under a fresh code. Codes are unique across all tenants, and row-level
 * security hides other tenants' links, so a code cannot be checked before it is used:
 * the insert is `ON CONFLICT DO NOTHING` (a plain unique violation would abort the
 * caller's transaction) and an empty result means "taken, draw again". For a default
 * link the other possible conflict is the one-default-per-enrollment index: then the
 * default that won (a concurrent approval) is returned.
 */
export async function insertLink(tx: Tx, data: NewLink, generateCode: () => string = generateLinkCode): Promise<Link> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const [row] = await tx.link.createManyAndReturn({ data: [{ ...data, id: newId('link'), code: generateCode() }], skipDuplicates: true });
    if (row) return row;
    if (data.isDefault) {
      const existing = await tx.link.findFirst({ where: { enrollmentId: data.enrollmentId, isDefault: true } });
      if (existing) return existing;
    }
  }
  throw new DomainError('internal_error', `No free link code after ${MAX_ATTEMPTS} attempts.`);
}
