import { newClickId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { decideClick, type EdgeLink } from '../clicks/click-destination';
import type { ClickEvent } from '../clicks/click-event';
import { checkDestination } from '../programs/destination-url';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { requireTrackerKey, requireTrackerOrigin } from './tracker-access';

/** What the tracker needs of the redirect edge: its link cache and its click writer. */
export interface ClickEdge {
  links: { peek(code: string): EdgeLink | null | undefined; load(code: string): Promise<EdgeLink | null> };
  recorder: { record(event: ClickEvent): Promise<unknown> };
}

export interface TrackClickInput {
  programId: string;
  code: string;
  landingUrl?: string;
  referrer?: string;
}

/** What the HTTP request says about the visitor. */
export interface TrackerRequest {
  ip: string | null;
  userAgent: string | null;
  origin: string | undefined;
  /** From the trusted proxy's country header, when the deployment has one. */
  country: string | null;
}

const COUNTRY = /^[A-Z]{2}$/;

/**
 * A linkless visit (`?ref=CODE` on the merchant's page): the tracker asks for a click
 * the way the redirect would have made one. The link comes from the edge's cache and the
 * click goes to the same stream, with the same flags (a suspended partner's click is
 * recorded but not billable; a disabled link takes none). The visitor's cookies never
 * reach the API, so the click has no visitor id: unique counting falls back to IP and
 * browser. Answers the click id and the program's cookie window for the tracker's cookie.
 */
export async function recordTrackerClick(
  deps: Deps,
  edge: ClickEdge,
  actor: Actor,
  input: TrackClickInput,
  request: TrackerRequest,
): Promise<{ clickId: string; cookieDays: number }> {
  requireTrackerKey(actor);
  const program = await withTenant(deps.prisma, actor.tenantId, (tx) =>
    tx.program.findUnique({ where: { id: input.programId }, select: { id: true, merchantId: true, allowedDomains: true, cookieDays: true } }),
  );
  if (!program || program.merchantId !== actor.merchantId)
    throw new DomainError('not_found', `Program ${input.programId} was not found.`, { id: input.programId });
  requireTrackerOrigin(request.origin, program.allowedDomains);

  let landingUrl: string | undefined;
  if (input.landingUrl !== undefined) {
    const checked = checkDestination(input.landingUrl, program.allowedDomains);
    if (!checked.ok) {
      throw new DomainError('validation_failed', `The landingUrl ${checked.reason}.`, { errors: [{ path: 'landingUrl', message: checked.reason }] });
    }
    landingUrl = checked.url;
  }

  const link = await findLink(edge, input.code);
  if (!link || link.tenantId !== actor.tenantId || link.programId !== program.id) {
    throw new DomainError('not_found', `No link ${input.code} in program ${program.id}.`, { code: input.code });
  }
  const decision = decideClick(link, {});
  if (decision.kind === 'inactive') {
    throw new DomainError('not_found', `Link ${input.code} takes no clicks (it is disabled, or the program is not running).`, { code: input.code });
  }

  const clickId = newClickId();
  const country = request.country?.toUpperCase();
  const event: ClickEvent = {
    v: 1,
    id: clickId,
    tenantId: link.tenantId,
    programId: link.programId,
    affiliateId: link.affiliateId,
    linkId: link.linkId,
    method: 'POST',
    ip: request.ip,
    userAgent: clip(request.userAgent, 512),
    referrer: clip(input.referrer ?? null, 1024),
    country: country && COUNTRY.test(country) && country !== 'XX' ? country : null,
    visitorId: null,
    subs: decision.subs as ClickEvent['subs'],
    landingUrl: (landingUrl ?? decision.destination).slice(0, 4096),
    flags: decision.flags,
  };
  await edge.recorder.record(event);
  return { clickId, cookieDays: program.cookieDays };
}

async function findLink(edge: ClickEdge, code: string): Promise<EdgeLink | null> {
  const cached = edge.links.peek(code);
  if (cached !== undefined) return cached;
  try {
    return await edge.links.load(code);
  } catch {
    throw new DomainError('service_unavailable', 'Links cannot be looked up right now; try again in a moment.');
  }
}

function clip(value: string | null, max: number): string | null {
  return value ? value.slice(0, max) : null;
}
