import { accrueConversionBatch } from '@app/domain/commissions/accrue-batch';
import type { Job } from 'bullmq';
import { parseJob } from './parse-job';
import type { ProcessorContext } from './processor-context';

/** What BullMQ keeps as the job's return value (JSON: amounts as strings). */
export interface AccrueJobResult {
  conversionId: string;
  status: string;
  reason: string | null;
  changed: boolean;
  /** Conversions accrued in the job's transaction (its own included); 0 when it had been decided before. */
  batched: number;
  commissions: { id: string; kind: string; affiliateId: string | null; amount: string; status: string }[];
}

export async function processCommissionsAccrue(job: Job, ctx: ProcessorContext): Promise<AccrueJobResult> {
  const { tenantId, payload } = parseJob('commissions.accrue', job.data);
  // The job's conversion and, in the same transaction, other attributed conversions of
  // its merchant and currency waiting for their accrual (docs/commissions.md, "Batching").
  const outcome = await accrueConversionBatch(ctx.prisma, tenantId, payload.conversionId);
  // Fault injection for the crash test: die after the accrual committed and before
  // BullMQ records the job as done (the retry must find the work already done).
  if (ctx.faults.killAfterAccrual && outcome.changed) process.kill(process.pid, 'SIGKILL');
  return {
    conversionId: outcome.conversionId,
    status: outcome.status,
    reason: outcome.reason,
    changed: outcome.changed,
    batched: outcome.batched,
    commissions: outcome.commissions.map((c) => ({ id: c.id, kind: c.kind, affiliateId: c.affiliateId, amount: c.amount.toString(), status: c.status })),
  };
}
