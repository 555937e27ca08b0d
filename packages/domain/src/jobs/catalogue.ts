import { z } from 'zod';

/**
 * Every background job, declared once: name (`module.action`), payload schema, retry
 * policy and the deterministic idempotency key that becomes the BullMQ job id for work
 * not coming from the outbox. Processors re-validate the payload with the same schema.
 */
export interface JobDefinition<S extends z.ZodType> {
  name: string;
  /** BullMQ queue the job goes to. */
  queue: 'default' | 'email';
  payload: S;
  attempts: number;
  backoffMs: number;
  idempotencyKey: (payload: z.infer<S>) => string;
}

function define<S extends z.ZodType>(def: JobDefinition<S>): JobDefinition<S> {
  return def;
}

const tenantScoped = { tenantId: z.string().min(1) };

export const jobs = {
  /** Fan a recorded domain event out to its consumers (notifications, webhooks). */
  'events.dispatch': define({
    name: 'events.dispatch',
    queue: 'default',
    payload: z.object({ eventId: z.string().startsWith('evt_') }).strict(),
    attempts: 10,
    backoffMs: 1_000,
    idempotencyKey: (p) => `events.dispatch:${p.eventId}`,
  }),
  /** Deliver one stored email through SMTP (when configured). */
  'email.send': define({
    name: 'email.send',
    queue: 'email',
    payload: z.object({ emailId: z.string().startsWith('eml_') }).strict(),
    attempts: 8,
    backoffMs: 5_000,
    idempotencyKey: (p) => `email.send:${p.emailId}`,
  }),
} as const;

export type JobName = keyof typeof jobs;
export type JobPayload<N extends JobName> = z.infer<(typeof jobs)[N]['payload']>;

/** Envelope the outbox relay puts on the queue: the tenant and the declared payload. */
export const jobEnvelopeSchema = z.object({ ...tenantScoped, payload: z.unknown() }).strict();
export type JobEnvelope = z.infer<typeof jobEnvelopeSchema>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobs, name);
}
