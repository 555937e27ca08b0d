import type { PrismaClient } from '@app/db/client';
import { DomainError } from '../shared/errors';

export interface TenantRef {
  id: string;
  slug: string;
  name: string;
}

/** Finds a network by slug before any tenant context exists (a SECURITY DEFINER function
 *  that returns only the id, slug and name). */
export async function findTenantBySlug(prisma: PrismaClient, slug: string): Promise<TenantRef | null> {
  const rows = await prisma.$queryRaw<TenantRef[]>`SELECT id, slug, name FROM auth_tenant_by_slug(${slug})`;
  return rows[0] ?? null;
}

export async function getTenantBySlugOrThrow(prisma: PrismaClient, slug: string): Promise<TenantRef> {
  const tenant = await findTenantBySlug(prisma, slug);
  if (!tenant) throw new DomainError('not_found', `No network is called "${slug}".`, { network: slug });
  return tenant;
}
