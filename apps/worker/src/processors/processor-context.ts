import type { PrismaClient } from '@app/db/client';
import type { MailTransport } from '@app/domain/notifications/create-mail-transport';
import type { Logger } from 'pino';
import type { OutboxRelay } from '../outbox-relay';

/** What processors get besides the job: long-lived clients built once by startWorker. */
export interface ProcessorContext {
  prisma: PrismaClient;
  relay: OutboxRelay;
  /** Null when SMTP_URL is not set: mails are stored, not sent. */
  mailTransport: MailTransport | null;
  logger: Logger;
  clicks: { partitionsAhead: number; retentionMonths: number | null };
  /** Fault injection for crash tests (off in production). */
  faults: { killAfterAttribution: boolean; killAfterAccrual?: boolean };
}
