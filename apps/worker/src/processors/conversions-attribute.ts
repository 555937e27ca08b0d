import { type AttributionOutcome, attributeConversion } from '@app/domain/attribution/attribute-conversion';
import type { Job } from 'bullmq';
import { parseJob } from './parse-job';
import type { ProcessorContext } from './processor-context';

export async function processConversionsAttribute(job: Job, ctx: ProcessorContext): Promise<AttributionOutcome> {
  const { tenantId, payload } = parseJob('conversions.attribute', job.data);
  const outcome = await attributeConversion(ctx.prisma, tenantId, payload.conversionId);
  // Fault injection for the crash test: die after the attribution committed and before
  // BullMQ records the job as done (the retry must find the work already done).
  if (ctx.faults.killAfterAttribution && outcome.changed) process.kill(process.pid, 'SIGKILL');
  return outcome;
}
