import { detachClickPartitions, ensureClickPartitions } from '@app/domain/clicks/store-clicks';
import { systemJobs } from '@app/domain/jobs/catalogue';
import type { Job } from 'bullmq';
import type { ProcessorContext } from './processor-context';

/** Keeps click partitions made ahead of time, and detaches (never drops) months past
 *  the retention period for an operator to archive. */
export async function processClicksPartitions(job: Job, ctx: ProcessorContext): Promise<{ created: number; detached: string[] }> {
  systemJobs['clicks.partitions'].payload.parse(job.data ?? {});
  const now = new Date();
  const created = await ensureClickPartitions(ctx.prisma, now, ctx.clicks.partitionsAhead);
  let detached: string[] = [];
  if (ctx.clicks.retentionMonths) {
    const before = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - ctx.clicks.retentionMonths, 1));
    detached = await detachClickPartitions(ctx.prisma, before);
  }
  if (created || detached.length) ctx.logger.info({ created, detached }, 'click partitions maintained');
  return { created, detached };
}
