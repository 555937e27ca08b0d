import { DomainError } from '../shared/errors';

/**
 * Where a tracked link may send a visitor. A destination must be an absolute http(s) URL
 * without credentials whose host is one of the program's allowed domains or a subdomain
 * of one. The URL is parsed with WHATWG URL (what browsers use), so backslashes,
 * percent-encoding and IDN are normalised before the host is compared, and the
 * normalised URL — never the raw input — is what the platform stores and redirects to.
 * Allowed domains are kept in their ASCII (punycode) form: a look-alike such as
 * `shоes.example` with a Cyrillic "о" becomes `xn--…` and matches nothing.
 */

const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$|^xn--[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

/** Normalises an allowed domain (`Shoes.Example`, `https://shoes.example/`, an IDN) to its
 *  ASCII host, or returns null when it is not a plain domain name. */
export function normalizeDomain(input: string): string | null {
  const trimmed = input
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '');
  if (!trimmed || /[\s@:\\]/.test(trimmed)) return null;
  let host: string;
  try {
    host = new URL(`https://${trimmed}/`).hostname;
  } catch {
    return null;
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return HOSTNAME.test(host) && !/^[0-9.]+$/.test(host) ? host : null;
}

export function hostIsAllowed(host: string, allowedDomains: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowedDomains.some((d) => h === d || h.endsWith(`.${d}`));
}

export type DestinationCheck = { ok: true; url: string } | { ok: false; reason: string };

export function checkDestination(raw: string, allowedDomains: readonly string[]): DestinationCheck {
  // Control characters and whitespace are never part of a real URL and are how
  // header-splitting and parser-confusion tricks start.
  if (raw.length > 2048) return { ok: false, reason: 'is longer than 2048 characters' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0000-\u0020\u007f]/.test(raw)) return { ok: false, reason: 'contains spaces or control characters' };
  if (!/^https?:\/\//i.test(raw)) return { ok: false, reason: 'must be an absolute http(s) URL' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must use http or https' };
  if (url.username || url.password) return { ok: false, reason: 'must not contain a user name or password' };
  if (!hostIsAllowed(url.hostname, allowedDomains)) {
    return { ok: false, reason: `is on ${url.hostname}, which is not one of the program's allowed domains (${allowedDomains.join(', ') || 'none'})` };
  }
  return { ok: true, url: url.toString() };
}

/** `checkDestination` for use-case input: throws a validation error naming `field`. */
export function requireAllowedDestination(raw: string, allowedDomains: readonly string[], field: string): string {
  const result = checkDestination(raw, allowedDomains);
  if (!result.ok) {
    throw new DomainError('validation_failed', `The ${field} ${result.reason}.`, { errors: [{ path: field, message: result.reason }] });
  }
  return result.url;
}
