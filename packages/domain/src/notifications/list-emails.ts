import type { Tx } from '@app/db/with-tenant';
import { decodeCursor, pageOf } from '../shared/pagination';

export type EmailStatus = 'stored' | 'sent' | 'failed';

export interface ListEmailsInput {
  /** 1–100. */
  limit: number;
  /** The `nextCursor` of the previous page (opaque; `bad_request` when malformed). */
  cursor?: string;
  status?: EmailStatus;
}

export interface EmailSummary {
  id: string;
  to: string;
  subject: string;
  template: string;
  status: string;
  transport: string;
  error: string | null;
  text: string;
  html: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export interface EmailPage {
  data: EmailSummary[];
  nextCursor: string | null;
}

/**
 * The tenant's mails, newest first (ids are time-sortable), keyset-paginated by id with
 * the platform's opaque cursors. Runs in the caller's `withTenant` transaction: RLS
 * limits it to that tenant. Who may read them (network staff) is the caller's check.
 */
export async function listEmails(tx: Tx, input: ListEmailsInput): Promise<EmailPage> {
  const limit = Math.min(Math.max(Math.trunc(input.limit), 1), 100);
  const before = decodeCursor(input.cursor);
  const rows = await tx.email.findMany({
    where: {
      ...(before ? { id: { lt: before } } : {}),
      ...(input.status ? { status: input.status } : {}),
    },
    orderBy: { id: 'desc' },
    take: limit + 1,
  });
  const page = pageOf(rows, limit);
  return {
    data: page.data.map((e) => ({
      id: e.id,
      to: e.toAddress,
      subject: e.subject,
      template: e.template,
      status: e.status,
      transport: e.transport,
      error: e.error,
      text: e.textBody,
      html: e.htmlBody,
      createdAt: e.createdAt,
      sentAt: e.sentAt,
    })),
    nextCursor: page.nextCursor,
  };
}
