import { newId } from '@app/db/ids';
import { isUniqueViolation, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { normalizeDomain } from '../programs/destination-url';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { requireNetworkRole } from '../shared/policies';
import { type TrackingDomainView, toTrackingDomainView } from './tracking-domain-view';

/** At most this many custom tracking hosts per network. */
const MAX_DOMAINS = 20;

/**
 * Adds a custom tracking host: links clicked on it resolve only to this network's links
 * (another network's code there answers 404). The network points the host at the
 * platform (DNS) and terminates TLS for it in front of the API.
 */
export async function addTrackingDomain(deps: Deps, actor: Actor, input: { host: string }): Promise<TrackingDomainView> {
  requireNetworkRole(actor);
  // A bare host: no scheme, port, path or credentials (normalizeDomain would strip them).
  const host = /[/:@\s\\]/.test(input.host.trim()) ? null : normalizeDomain(input.host);
  if (!host || host === new URL(deps.publicUrl).hostname) {
    throw new DomainError('validation_failed', 'The host must be a plain host name such as go.partners.example, other than the platform’s own.', {
      errors: [{ path: 'host', message: 'not a usable host name' }],
    });
  }
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const existing = await tx.trackingDomain.count();
    if (existing >= MAX_DOMAINS) throw new DomainError('invalid_state', `A network can have at most ${MAX_DOMAINS} tracking domains.`);
    try {
      const row = await tx.trackingDomain.create({ data: { id: newId('trackingDomain'), tenantId: actor.tenantId, host } });
      await writeAudit(tx, actor, { action: 'tracking_domain.added', subjectType: 'tracking_domain', subjectId: row.id, data: { host } });
      return toTrackingDomainView(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('already_exists', `The host ${host} is already in use.`);
      throw error;
    }
  });
}
