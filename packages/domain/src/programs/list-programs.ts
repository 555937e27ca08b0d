import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { memberMerchantIds, networkRole, requireMerchantRead } from '../shared/policies';
import { type ProgramView, toProgramView } from './program-view';

export interface ListProgramsInput {
  limit: number;
  cursor?: string;
  merchantId?: string;
  status?: ProgramView['status'];
  q?: string;
}

/** The programs a merchant runs (its members), or every program (network staff). */
export async function listPrograms(deps: Deps, actor: Actor, input: ListProgramsInput): Promise<{ data: ProgramView[]; nextCursor: string | null }> {
  let merchantIds: string[] | null = null;
  if (input.merchantId) {
    requireMerchantRead(actor, input.merchantId);
    merchantIds = [input.merchantId];
  } else if (!networkRole(actor)) {
    merchantIds = memberMerchantIds(actor);
    if (merchantIds.length === 0) throw forbidden('Affiliates browse programs in the marketplace (GET /v1/marketplace/programs).');
  }
  const before = decodeCursor(input.cursor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const rows = await tx.program.findMany({
      where: {
        ...(merchantIds ? { merchantId: { in: merchantIds } } : {}),
        ...(before ? { id: { lt: before } } : {}),
        ...(input.status ? { status: input.status } : {}),
        ...(input.q ? { name: { contains: input.q, mode: 'insensitive' as const } } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    });
    const page = pageOf(rows, input.limit);
    return { data: await Promise.all(page.data.map((p) => toProgramView(tx, p))), nextCursor: page.nextCursor };
  });
}
