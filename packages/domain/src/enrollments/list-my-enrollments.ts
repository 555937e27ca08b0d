import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { affiliateIdOf } from '../shared/policies';
import { type EnrollmentStatus, type EnrollmentView, toEnrollmentView } from './enrollment-view';

/** "My programs": the signed-in affiliate's enrollments in every program. */
export async function listMyEnrollments(
  deps: Deps,
  actor: Actor,
  input: { limit: number; cursor?: string; status?: EnrollmentStatus },
): Promise<{ data: EnrollmentView[]; nextCursor: string | null }> {
  const affiliateId = affiliateIdOf(actor);
  if (!affiliateId) throw forbidden('Only affiliates have enrollments of their own.');
  const before = decodeCursor(input.cursor);
  const rows = await withTenant(deps.prisma, actor.tenantId, (tx) =>
    tx.enrollment.findMany({
      where: { affiliateId, ...(input.status ? { status: input.status } : {}), ...(before ? { id: { lt: before } } : {}) },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    }),
  );
  const page = pageOf(rows, input.limit);
  return { data: page.data.map(toEnrollmentView), nextCursor: page.nextCursor };
}
