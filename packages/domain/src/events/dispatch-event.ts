import type { PrismaClient } from '@app/db/client';
import { withTenant } from '@app/db/with-tenant';
import { queueEmail } from '../notifications/queue-email';
import { isTemplateName, renderTemplate, templatePayloads } from '../notifications/templates';
import { DomainError, notFound } from '../shared/errors';

export interface DispatchEventOptions {
  smtpConfigured: boolean;
}

export interface DispatchEventResult {
  eventType: string;
  /** Ids of the mails this event produced (existing ones on a repeat). */
  emailIds: string[];
}

/**
 * Fans one recorded domain event out to its consumers. Today: the notification mail of
 * the event types that have a template (the template is named after the event type).
 * Idempotent: each mail's dedupe key is `${eventId}:${template}`, so a redelivered job
 * writes nothing new. Event types without a consumer are a no-op.
 *
 * A payload that lacks what its mail needs throws `validation_failed`: retrying cannot
 * fix it, and it must not pass silently.
 */
export async function dispatchEvent(prisma: PrismaClient, tenantId: string, eventId: string, options: DispatchEventOptions): Promise<DispatchEventResult> {
  return withTenant(prisma, tenantId, async (tx) => {
    const event = await tx.domainEvent.findUnique({ where: { id: eventId } });
    if (!event) throw notFound('Event', eventId);
    const template = event.type;
    if (!isTemplateName(template)) return { eventType: event.type, emailIds: [] };

    const parsed = templatePayloads[template].safeParse(event.payload);
    if (!parsed.success) {
      throw new DomainError('validation_failed', `Event ${eventId} (${event.type}) lacks what its notification needs.`, {
        eventId,
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    const tenant = await tx.tenant.findUnique({ where: { id: tenantId }, select: { name: true } });
    const mail = renderTemplate(template, parsed.data, { networkName: tenant?.name ?? 'your network' });
    const { id } = await queueEmail(
      tx,
      {
        tenantId,
        dedupeKey: `${eventId}:${template}`,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        template,
      },
      options,
    );
    return { eventType: event.type, emailIds: [id] };
  });
}
