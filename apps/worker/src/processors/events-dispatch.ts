import { type DispatchEventResult, dispatchEvent } from '@app/domain/events/dispatch-event';
import type { Job } from 'bullmq';
import { parseJob } from './parse-job';
import type { ProcessorContext } from './processor-context';

export async function processEventsDispatch(job: Job, ctx: ProcessorContext): Promise<DispatchEventResult> {
  const { tenantId, payload } = parseJob('events.dispatch', job.data);
  return dispatchEvent(ctx.prisma, tenantId, payload.eventId, { smtpConfigured: ctx.mailTransport !== null });
}
