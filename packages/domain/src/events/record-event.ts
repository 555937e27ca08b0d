import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { enqueueAfterCommit } from '../shared/outbox';

export type EventType =
  | 'network.created'
  | 'user.created'
  | 'merchant.created'
  | 'merchant.updated'
  | 'affiliate.created'
  | 'affiliate.status_changed'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'member.added'
  | 'member.role_changed'
  | 'member.removed'
  | 'program.created'
  | 'program.updated'
  | 'program.plan_changed'
  | 'enrollment.created'
  | 'enrollment.approved'
  | 'enrollment.status_changed'
  | 'conversion.created'
  | 'conversion.attributed'
  | 'conversion.unattributed'
  | 'conversion.refunded'
  | 'balance.low'
  | 'balance.restored'
  | 'commission.created'
  | 'commission.approved'
  | 'commission.rejected'
  | 'commission.reversed';

export interface RecordEventInput {
  tenantId: string;
  type: EventType;
  subjectType: string;
  subjectId: string;
  payload?: Record<string, unknown>;
}

/**
 * Records a domain event in the caller's transaction and schedules its dispatch
 * (notifications now; outbound webhooks later) through the outbox.
 */
export async function recordEvent(tx: Tx, input: RecordEventInput): Promise<string> {
  const id = newId('event');
  await tx.domainEvent.create({
    data: {
      id,
      tenantId: input.tenantId,
      type: input.type,
      subjectType: input.subjectType,
      subjectId: input.subjectId,
      payload: (input.payload ?? {}) as object,
    },
  });
  await enqueueAfterCommit(tx, input.tenantId, 'events.dispatch', { eventId: id });
  return id;
}
