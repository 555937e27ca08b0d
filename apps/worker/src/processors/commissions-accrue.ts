import { accrueConversion } from '@app/domain/commissions/accrue-conversion';
import type { Job } from 'bullmq';
import { parseJob } from './parse-job';
import type { ProcessorContext } from './processor-context';

/** What BullMQ keeps as the job's return value (JSON: amounts as strings). */
export interface AccrueJobResult {
  conversionId: string;
  status: string;
  reason: string | null;
  changed: boolean;
  commissions: { id: string; kind: string; affiliateId: string | null; amount: string; status: string }[];
}

export async function processCommissionsAccrue(job: Job, ctx: ProcessorContext): Promise<AccrueJobResult> {
  const { tenantId, payload } = parseJob('commissions.accrue', job.data);
  const outcome = await accrueConversion(ctx.prisma, tenantId, payload.conversionId);
  // Fault injection for the crash test: die after the accrual committed and before
  // BullMQ records the job as done (the retry must find the work already done).
  if (ctx.faults.killAfterAccrual && outcome.changed) process.kill(process.pid, 'SIGKILL');
  return {
    conversionId: outcome.conversionId,
    status: outcome.status,
    reason: outcome.reason,
    changed: outcome.changed,
    commissions: outcome.commissions.map((c) => ({ id: c.id, kind: c.kind, affiliateId: c.affiliateId, amount: c.amount.toString(), status: c.status })),
  };
}
