import { type ReverseOutcome, reverseCommissions } from '@app/domain/commissions/reverse-commissions';
import type { Job } from 'bullmq';
import { parseJob } from './parse-job';
import type { ProcessorContext } from './processor-context';

export async function processCommissionsReverse(job: Job, ctx: ProcessorContext): Promise<ReverseOutcome> {
  const { tenantId, payload } = parseJob('commissions.reverse', job.data);
  return reverseCommissions(ctx.prisma, tenantId, payload.refundId);
}
