import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';

export interface AuditInput {
  action: string;
  subjectType: string;
  subjectId?: string | null;
  data?: Record<string, unknown>;
}

/** Appends to the tenant's audit log in the caller's transaction (append-only table). */
export async function writeAudit(tx: Tx, actor: Actor, input: AuditInput): Promise<void> {
  await tx.auditLog.create({
    data: {
      id: newId('audit'),
      tenantId: actor.tenantId,
      actorType: actor.type,
      actorId: actor.type === 'user' ? actor.userId : actor.type === 'api_key' ? actor.keyId : null,
      action: input.action,
      subjectType: input.subjectType,
      subjectId: input.subjectId ?? null,
      data: (input.data ?? {}) as object,
      requestId: actor.requestId ?? null,
      ip: actor.ip ?? null,
    },
  });
}
