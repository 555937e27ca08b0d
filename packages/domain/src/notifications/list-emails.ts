import type { Tx } from '@app/db/with-tenant';

export type EmailStatus = 'stored' | 'sent' | 'failed';

export interface ListEmailsInput {
  /** 1–100. */
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string | null;
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
 * The tenant's mails, newest first (ids are time-sortable), keyset-paginated by id.
 * Runs in the caller's `withTenant` transaction: RLS limits it to that tenant.
 */
export async function listEmails(tx: Tx, input: ListEmailsInput): Promise<EmailPage> {
  const limit = Math.min(Math.max(Math.trunc(input.limit), 1), 100);
  const rows = await tx.email.findMany({
    where: {
      ...(input.cursor ? { id: { lt: input.cursor } } : {}),
      ...(input.status ? { status: input.status } : {}),
    },
    orderBy: { id: 'desc' },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    data: page.map((e) => ({
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
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}
