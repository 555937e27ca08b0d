import { type ResumeOutcome, resumeAwaitingFunds } from '@app/domain/commissions/resume-awaiting-funds';
import type { Job } from 'bullmq';
import { parseJob } from './parse-job';
import type { ProcessorContext } from './processor-context';

export async function processCommissionsResume(job: Job, ctx: ProcessorContext): Promise<ResumeOutcome> {
  const { tenantId, payload } = parseJob('commissions.resume', job.data);
  return resumeAwaitingFunds(ctx.prisma, tenantId, payload.merchantId, payload.currency);
}
