import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { decodeCursor, pageOf } from '../shared/pagination';
import { requireNetworkRole } from '../shared/policies';

export interface AuditEntryView {
  id: string;
  actorType: string;
  actorId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  data: Record<string, unknown>;
  requestId: string | null;
  ip: string | null;
  createdAt: string;
}

export async function listAuditLog(
  deps: Deps,
  actor: Actor,
  input: { limit: number; cursor?: string; action?: string; subjectId?: string },
): Promise<{ data: AuditEntryView[]; nextCursor: string | null }> {
  requireNetworkRole(actor, ['owner', 'admin']);
  const before = decodeCursor(input.cursor);
  const rows = await withTenant(deps.prisma, actor.tenantId, (tx) =>
    tx.auditLog.findMany({
      where: {
        ...(before ? { id: { lt: before } } : {}),
        ...(input.action ? { action: input.action } : {}),
        ...(input.subjectId ? { subjectId: input.subjectId } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    }),
  );
  const page = pageOf(rows, input.limit);
  return {
    data: page.data.map((r) => ({ ...r, data: r.data as Record<string, unknown>, createdAt: r.createdAt.toISOString() })),
    nextCursor: page.nextCursor,
  };
}
