import { hostIsAllowed } from '../programs/destination-url';
import type { Actor } from '../shared/actor';
import { forbidden } from '../shared/errors';

/** The tracker's endpoints act for a merchant's API key: publishable (the browser) or
 *  secret (a server doing the same). Signed-in users have no business there. */
export function requireTrackerKey(actor: Actor): asserts actor is Extract<Actor, { type: 'api_key' }> {
  if (actor.type !== 'api_key') throw forbidden("The tracker endpoints take the merchant's publishable key (pk_…), not a session.");
}

/**
 * A browser names the page that sends a request in `Origin`. When it is there, it must be
 * on one of the program's allowed domains (or a subdomain of one): a publishable key is
 * public, and this keeps other sites from minting clicks and leads with it. Servers send
 * no Origin; what they report is marked as browser-reported all the same.
 */
export function requireTrackerOrigin(origin: string | undefined, allowedDomains: readonly string[]): void {
  if (origin === undefined) return;
  let host: string | null = null;
  try {
    const url = new URL(origin);
    if (url.protocol === 'https:' || url.protocol === 'http:') host = url.hostname;
  } catch {}
  if (host === null) throw forbidden(`Origin ${JSON.stringify(origin.slice(0, 200))} is not a web page the tracker may report from.`);
  if (!hostIsAllowed(host, allowedDomains)) {
    throw forbidden(
      `Requests from ${host} are refused: the tracker reports only from the program's allowed domains (${allowedDomains.join(', ') || 'none'}) and their subdomains.`,
    );
  }
}
