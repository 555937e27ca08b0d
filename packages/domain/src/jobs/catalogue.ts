import { z } from 'zod';

/**
 * Every background job, declared once: name (`module.action`), payload schema, retry
 * policy and the deterministic idempotency key that becomes the BullMQ job id for work
 * not coming from the outbox. Processors re-validate the payload with the same schema.
 */
export interface JobDefinition<S extends z.ZodType> {
  name: string;
  /** BullMQ queue the job goes to. */
  queue: Exclude<QueueName, 'maintenance'>;
  payload: S;
  attempts: number;
  backoffMs: number;
  idempotencyKey: (payload: z.infer<S>) => string;
}

function define<S extends z.ZodType>(def: JobDefinition<S>): JobDefinition<S> {
  return def;
}

/** Every BullMQ queue; the worker runs one Worker per name. */
export const QUEUE_NAMES = ['default', 'email', 'conversions', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

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
  /** Decide which affiliate earned a conversion (or why none did); idempotent. */
  'conversions.attribute': define({
    name: 'conversions.attribute',
    queue: 'conversions',
    payload: z.object({ conversionId: z.string().startsWith('cnv_') }).strict(),
    attempts: 12,
    backoffMs: 2_000,
    idempotencyKey: (p) => `conversions.attribute:${p.conversionId}`,
  }),
  /** Compute an attributed conversion's commissions and reserve them on the ledger. */
  'commissions.accrue': define({
    name: 'commissions.accrue',
    queue: 'conversions',
    payload: z.object({ conversionId: z.string().startsWith('cnv_') }).strict(),
    attempts: 12,
    backoffMs: 2_000,
    idempotencyKey: (p) => `commissions.accrue:${p.conversionId}`,
  }),
  /** Take back (void or claw back) the commissions of a refunded amount. */
  'commissions.reverse': define({
    name: 'commissions.reverse',
    queue: 'conversions',
    payload: z.object({ refundId: z.string().startsWith('rfd_') }).strict(),
    attempts: 12,
    backoffMs: 2_000,
    idempotencyKey: (p) => `commissions.reverse:${p.refundId}`,
  }),
  /** Accrue again a merchant's commissions waiting for funds in a currency (after a top-up). */
  'commissions.resume': define({
    name: 'commissions.resume',
    queue: 'conversions',
    payload: z
      .object({
        merchantId: z.string().startsWith('mer_'),
        currency: z.string().regex(/^[A-Z]{3}$/),
      })
      .strict(),
    attempts: 12,
    backoffMs: 2_000,
    idempotencyKey: (p) => `commissions.resume:${p.merchantId}:${p.currency}`,
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

/**
 * Jobs the worker schedules for itself with a BullMQ job scheduler: not tenant-scoped,
 * never written to the outbox (an outbox row with such a topic is refused as unknown).
 */
export const systemJobs = {
  /** Relays outbox rows older than `minAgeMs` that the relay loop missed (stuck or dead). */
  'outbox.sweep': {
    name: 'outbox.sweep',
    queue: 'maintenance',
    everyMs: 30_000,
    minAgeMs: 10_000,
    payload: z.object({}).strict(),
  },
  /** Makes next months' click partitions, and detaches those past the retention period. */
  'clicks.partitions': {
    name: 'clicks.partitions',
    queue: 'maintenance',
    everyMs: 6 * 3_600_000,
    payload: z.object({}).strict(),
  },
  /** Approves pending commissions whose hold ended, in programs that approve by themselves. */
  'commissions.sweep': {
    name: 'commissions.sweep',
    queue: 'maintenance',
    everyMs: 60_000,
    payload: z.object({}).strict(),
  },
} as const satisfies Record<string, { name: string; queue: QueueName; everyMs: number; payload: z.ZodType; [option: string]: unknown }>;

export type SystemJobName = keyof typeof systemJobs;
