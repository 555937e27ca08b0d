import { systemJobs } from '@app/domain/jobs/catalogue';
import type { Job } from 'bullmq';
import type { RelayRunResult } from '../outbox-relay';
import type { ProcessorContext } from './processor-context';

/** Relays rows the relay loop left behind for more than `minAgeMs` (a stuck or dead loop,
 *  a lost notification on a worker that then died). */
export async function processOutboxSweep(job: Job, ctx: ProcessorContext): Promise<RelayRunResult> {
  const def = systemJobs['outbox.sweep'];
  def.payload.parse(job.data ?? {});
  const result = await ctx.relay.drain({ minAgeMs: def.minAgeMs });
  if (result.enqueued > 0) ctx.logger.warn({ enqueued: result.enqueued }, 'outbox sweep relayed rows the relay loop missed');
  return result;
}
