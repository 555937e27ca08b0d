import { type SweepOutcome, sweepDueCommissions } from '@app/domain/commissions/sweep-due-commissions';
import { systemJobs } from '@app/domain/jobs/catalogue';
import type { Job } from 'bullmq';
import type { ProcessorContext } from './processor-context';

/** Approves the commissions whose hold ended in auto-approval programs, network by network. */
export async function processCommissionsSweep(job: Job, ctx: ProcessorContext): Promise<SweepOutcome> {
  systemJobs['commissions.sweep'].payload.parse(job.data ?? {});
  const outcome = await sweepDueCommissions(ctx.prisma);
  if (outcome.approved > 0) ctx.logger.info(outcome, 'due commissions approved');
  return outcome;
}
