import type { PrismaClient } from '@app/db/client';
import { withTenant } from '@app/db/with-tenant';
import { notFound } from '../shared/errors';
import type { MailTransport } from './create-mail-transport';

export interface SendEmailOptions {
  /** The queue's last attempt: a failure now marks the mail `failed` instead of leaving
   *  it `stored` for the next retry. */
  finalAttempt?: boolean;
}

export type SendEmailResult = 'sent' | 'already_sent';

/**
 * Delivers one stored mail. Idempotent: a mail already `sent` is not sent again. The SMTP
 * exchange runs outside any transaction (no connection held across network I/O); SMTP
 * itself is at-least-once, the BullMQ job id (the outbox id) keeps it to one job.
 * On failure the error is recorded and rethrown so the queue retries.
 */
export async function sendEmail(
  prisma: PrismaClient,
  tenantId: string,
  emailId: string,
  transport: MailTransport,
  options: SendEmailOptions = {},
): Promise<SendEmailResult> {
  const email = await withTenant(prisma, tenantId, (tx) => tx.email.findUnique({ where: { id: emailId } }));
  if (!email) throw notFound('Email', emailId);
  if (email.status === 'sent') return 'already_sent';

  try {
    await transport.send({ to: email.toAddress, subject: email.subject, text: email.textBody, html: email.htmlBody });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await withTenant(prisma, tenantId, (tx) =>
      tx.email.updateMany({
        where: { id: emailId, status: { not: 'sent' } },
        data: { error: message.slice(0, 2000), ...(options.finalAttempt ? { status: 'failed' } : {}) },
      }),
    );
    throw error;
  }

  await withTenant(prisma, tenantId, (tx) =>
    tx.email.updateMany({
      where: { id: emailId, status: { not: 'sent' } },
      data: { status: 'sent', sentAt: new Date(), error: null, transport: 'smtp' },
    }),
  );
  return 'sent';
}
