import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireNetworkRole } from '../shared/policies';
import { type EmailStatus, listEmails } from './list-emails';

/** Network owners/admins read every mail the platform wrote in their network: the
 *  outbox of record when no SMTP server is configured. */
export async function listNetworkEmails(deps: Deps, actor: Actor, input: { limit: number; cursor?: string; status?: EmailStatus }) {
  requireNetworkRole(actor, ['owner', 'admin']);
  const page = await withTenant(deps.prisma, actor.tenantId, (tx) => listEmails(tx, input));
  return {
    data: page.data.map((e) => ({ ...e, status: e.status as EmailStatus, createdAt: e.createdAt.toISOString(), sentAt: e.sentAt?.toISOString() ?? null })),
    nextCursor: page.nextCursor,
  };
}
