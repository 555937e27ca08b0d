import { checkDestination } from '../programs/destination-url';

/** What the edge knows about a link: the link, its program, enrollment and affiliate. */
export interface EdgeLink {
  linkId: string;
  tenantId: string;
  programId: string;
  affiliateId: string;
  destinationUrl: string;
  subs: (string | null)[];
  linkStatus: string;
  programStatus: string;
  landingUrl: string;
  allowedDomains: string[];
  trackingParam: string;
  cookieDays: number;
  fallbackUrl: string | null;
  enrollmentStatus: string;
  affiliateStatus: string;
}

export type ClickFlag = 'deep_link_refused' | 'link_disabled' | 'enrollment_inactive' | 'affiliate_inactive' | 'program_paused';

export type ClickDecision =
  /** Redirect there and record the click. */
  | { kind: 'click'; destination: string; subs: (string | null)[]; flags: ClickFlag[] }
  /** The link does not take clicks: show the not-found page, or go to the program's fallback. */
  | { kind: 'inactive'; fallbackUrl: string | null };

export interface ClickQuery {
  url?: string | undefined;
  sub1?: string | undefined;
  sub2?: string | undefined;
  sub3?: string | undefined;
  sub4?: string | undefined;
  sub5?: string | undefined;
}

const SUB_MAX = 255;

/**
 * Where a click goes. A disabled link, or a program that is not running (draft,
 * archived), takes no clicks. Paused programs still redirect (the merchant's traffic
 * keeps flowing; commissions stop later in the chain). A partner who is no longer
 * approved, or suspended, still sends the visitor to the program's landing page, but
 * the click is flagged and not billable. A deep link (`url=`) is followed only when it
 * is on the program's allowed domains; otherwise the link's own destination is used
 * and the click is flagged. The link's stored destination is checked again too (the
 * program's allowed domains may have changed since): the landing page is the last
 * resort. Nothing outside the allowed domains and the merchant's own landing page is
 * ever a destination.
 */
export function decideClick(link: EdgeLink, query: ClickQuery): ClickDecision {
  const { fallbackUrl, ownUrl } = checkedOnce(link);
  if (link.linkStatus !== 'active') return { kind: 'inactive', fallbackUrl };
  if (link.programStatus !== 'active' && link.programStatus !== 'paused') return { kind: 'inactive', fallbackUrl };

  const flags: ClickFlag[] = [];
  if (link.programStatus === 'paused') flags.push('program_paused');
  const partnerActive = link.enrollmentStatus === 'approved' && link.affiliateStatus === 'active';
  if (link.enrollmentStatus !== 'approved') flags.push('enrollment_inactive');
  if (link.affiliateStatus !== 'active') flags.push('affiliate_inactive');

  let destination = partnerActive && ownUrl !== null ? ownUrl : link.landingUrl;
  if (query.url !== undefined && partnerActive) {
    const deep = checkDestination(query.url, link.allowedDomains);
    if (deep.ok) destination = deep.url;
    else flags.push('deep_link_refused');
  }
  const subs = link.subs.map((fallback, i) => {
    const given = query[`sub${i + 1}` as keyof ClickQuery];
    const value = given !== undefined && given !== '' ? given : fallback;
    return value === null || value === undefined ? null : cut(value, SUB_MAX);
  });
  return { kind: 'click', destination, subs, flags };
}

const checked = new WeakMap<EdgeLink, { fallbackUrl: string | null; ownUrl: string | null }>();

/** The link's own destination and the program's fallback, checked against the allowed
 *  domains once per cached link object rather than on every click. Normalised URLs,
 *  like every other destination: never the raw text. */
function checkedOnce(link: EdgeLink): { fallbackUrl: string | null; ownUrl: string | null } {
  let result = checked.get(link);
  if (!result) {
    const fallback = link.fallbackUrl ? checkDestination(link.fallbackUrl, link.allowedDomains) : null;
    const own = checkDestination(link.destinationUrl, link.allowedDomains);
    result = { fallbackUrl: fallback?.ok ? fallback.url : null, ownUrl: own.ok ? own.url : null };
    checked.set(link, result);
  }
  return result;
}

/**
 * `destination` with `param=clickId` added to its query. The existing query is kept
 * byte for byte (merchants sign or parse their own parameters), an earlier value of the
 * same parameter is replaced, and a fragment stays at the end.
 */
export function withTrackingParam(destination: string, param: string, clickId: string): string {
  const hashAt = destination.indexOf('#');
  const fragment = hashAt === -1 ? '' : destination.slice(hashAt);
  const beforeHash = hashAt === -1 ? destination : destination.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  const base = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const query = queryAt === -1 ? '' : beforeHash.slice(queryAt + 1);
  const encodedParam = encodeURIComponent(param);
  const kept = query.split('&').filter((pair) => pair !== '' && decodeKey(pair.split('=')[0]!) !== param);
  kept.push(`${encodedParam}=${encodeURIComponent(clickId)}`);
  return `${base}?${kept.join('&')}${fragment}`;
}

/** The first `max` UTF-16 units of `value`, without splitting a surrogate pair (half an
 *  emoji would be stored as U+FFFD). */
function cut(value: string, max: number): string {
  const head = value.slice(0, max);
  return head.length === max && /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}
