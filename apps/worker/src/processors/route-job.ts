import { isJobName, type JobName, type QueueName } from '@app/domain/jobs/catalogue';
import { DomainError } from '@app/domain/shared/errors';
import { type Job, type Processor, UnrecoverableError } from 'bullmq';
import { processClicksPartitions } from './clicks-partitions';
import { processCommissionsAccrue } from './commissions-accrue';
import { processCommissionsResume } from './commissions-resume';
import { processCommissionsReverse } from './commissions-reverse';
import { processCommissionsSweep } from './commissions-sweep';
import { processConversionsAttribute } from './conversions-attribute';
import { processEmailSend } from './email-send';
import { processEventsDispatch } from './events-dispatch';
import { processOutboxSweep } from './outbox-sweep';
import type { ProcessorContext } from './processor-context';

type JobProcessor = (job: Job, ctx: ProcessorContext) => Promise<unknown>;

const processors: Record<QueueName, Record<string, JobProcessor>> = {
  default: { 'events.dispatch': processEventsDispatch },
  email: { 'email.send': processEmailSend },
  conversions: {
    'conversions.attribute': processConversionsAttribute,
    'commissions.accrue': processCommissionsAccrue,
    'commissions.resume': processCommissionsResume,
    'commissions.reverse': processCommissionsReverse,
  },
  maintenance: { 'outbox.sweep': processOutboxSweep, 'clicks.partitions': processClicksPartitions, 'commissions.sweep': processCommissionsSweep },
};

/** Outbox topics this worker runs: the relay leaves rows of any other topic (work of a
 *  later release) waiting in the outbox. */
export const RUNNABLE_TOPICS: readonly JobName[] = Object.values(processors)
  .flatMap((byName) => Object.keys(byName))
  .filter(isJobName);

/** Domain errors that no retry can fix. */
const PERMANENT_CODES = new Set(['validation_failed', 'not_found', 'bad_request']);

/** The BullMQ processor of one queue: picks the job's processor by job name. */
export function routeJob(queue: QueueName, ctx: ProcessorContext): Processor {
  return async (job) => {
    const processor = processors[queue][job.name];
    if (!processor) throw new UnrecoverableError(`No processor for job ${job.name} on queue ${queue}`);
    try {
      return await processor(job, ctx);
    } catch (error) {
      if (error instanceof DomainError && PERMANENT_CODES.has(error.code)) {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
  };
}
