import { withTenant } from '@app/db/with-tenant';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { affiliateIdOf, merchantRole, networkRole } from '../shared/policies';
import { type EnrollmentStatus, type EnrollmentView, toEnrollmentView } from './enrollment-view';

/** A program's enrollments: all of them for its merchant and network staff; an
 *  affiliate sees only its own. */
export async function listProgramEnrollments(
  deps: Deps,
  actor: Actor,
  programId: string,
  input: { limit: number; cursor?: string; status?: EnrollmentStatus },
): Promise<{ data: EnrollmentView[]; nextCursor: string | null }> {
  const before = decodeCursor(input.cursor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const program = await loadProgramOrThrow(tx, programId);
    const staff = networkRole(actor) !== null || merchantRole(actor, program.merchantId) !== null;
    const affiliateId = affiliateIdOf(actor);
    if (!staff && !affiliateId) throw notFound('Program', programId);
    const rows = await tx.enrollment.findMany({
      where: {
        programId,
        ...(staff ? {} : { affiliateId: affiliateId as string }),
        ...(input.status ? { status: input.status } : {}),
        ...(before ? { id: { lt: before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    });
    if (!staff && program.visibility === 'private' && rows.length === 0) throw notFound('Program', programId);
    const page = pageOf(rows, input.limit);
    return { data: page.data.map(toEnrollmentView), nextCursor: page.nextCursor };
  });
}
