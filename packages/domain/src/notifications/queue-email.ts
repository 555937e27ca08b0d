import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { enqueueAfterCommit } from '../shared/outbox';

export interface QueueEmailInput {
  tenantId: string;
  /** Unique per tenant: the same key never produces a second mail. */
  dedupeKey: string;
  to: string;
  subject: string;
  text: string;
  html?: string | null;
  template: string;
}

export interface QueueEmailOptions {
  /** When false the mail is only stored (readable by network admins), never dropped. */
  smtpConfigured: boolean;
}

export interface QueuedEmail {
  id: string;
  /** False when a mail with this dedupe key already existed (nothing was written). */
  created: boolean;
}

/**
 * Stores a mail in the caller's transaction and, when SMTP is configured, schedules its
 * delivery through the outbox. Idempotent on (tenant, dedupeKey): a repeat returns the
 * existing mail and schedules nothing. `ON CONFLICT DO NOTHING` (not a caught unique
 * violation) keeps the caller's transaction usable.
 */
export async function queueEmail(tx: Tx, input: QueueEmailInput, options: QueueEmailOptions): Promise<QueuedEmail> {
  const id = newId('email');
  const { count } = await tx.email.createMany({
    data: {
      id,
      tenantId: input.tenantId,
      dedupeKey: input.dedupeKey,
      toAddress: input.to,
      subject: input.subject,
      textBody: input.text,
      htmlBody: input.html ?? null,
      template: input.template,
      status: 'stored',
      transport: options.smtpConfigured ? 'smtp' : 'none',
    },
    skipDuplicates: true,
  });
  if (count === 0) {
    const existing = await tx.email.findUniqueOrThrow({
      where: { tenantId_dedupeKey: { tenantId: input.tenantId, dedupeKey: input.dedupeKey } },
      select: { id: true },
    });
    return { id: existing.id, created: false };
  }
  if (options.smtpConfigured) await enqueueAfterCommit(tx, input.tenantId, 'email.send', { emailId: id });
  return { id, created: true };
}
