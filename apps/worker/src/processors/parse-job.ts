import { type JobName, type JobPayload, jobEnvelopeSchema, jobs } from '@app/domain/jobs/catalogue';
import { UnrecoverableError } from 'bullmq';

export interface ParsedJob<N extends JobName> {
  tenantId: string;
  payload: JobPayload<N>;
}

/** Re-validates what came off the queue: the envelope, then the job's own payload
 *  schema. A malformed job never gets better on retry, so it fails for good. */
export function parseJob<N extends JobName>(name: N, data: unknown): ParsedJob<N> {
  const envelope = jobEnvelopeSchema.safeParse(data);
  if (!envelope.success) throw new UnrecoverableError(`${name}: malformed job envelope: ${envelope.error.message}`);
  const payload = jobs[name].payload.safeParse(envelope.data.payload);
  if (!payload.success) throw new UnrecoverableError(`${name}: malformed payload: ${payload.error.message}`);
  return { tenantId: envelope.data.tenantId, payload: payload.data as JobPayload<N> };
}
