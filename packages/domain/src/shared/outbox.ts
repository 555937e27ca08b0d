import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import type { JobName, JobPayload } from '../jobs/catalogue';
import { jobs } from '../jobs/catalogue';

/**
 * Schedules a job to run after the current transaction commits: the row is written in
 * the same transaction as the business change, and the worker's relay enqueues it with
 * the outbox id as BullMQ job id. If the transaction rolls back, the job never existed.
 */
export async function enqueueAfterCommit<N extends JobName>(tx: Tx, tenantId: string, name: N, payload: JobPayload<N>): Promise<string> {
  const parsed = jobs[name].payload.parse(payload);
  const id = newId('outbox');
  await tx.outbox.create({ data: { id, tenantId, topic: name, payload: parsed as object } });
  return id;
}
