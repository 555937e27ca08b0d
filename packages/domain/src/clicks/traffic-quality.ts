import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { isbot } from 'isbot';

/**
 * Traffic quality: what makes a click count. Bot and link-preview detection uses the
 * maintained `isbot` pattern list (crawlers, monitoring, Slack/Teams/WhatsApp unfurlers);
 * device classes are a deliberately small set for reports, not a full UA parser.
 */

export type DeviceClass = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'unknown';

export function isBotUserAgent(userAgent: string | null): boolean {
  // No user agent at all is a script, not a person.
  if (!userAgent) return true;
  return isbot(userAgent);
}

export function deviceClass(userAgent: string | null): DeviceClass {
  if (!userAgent) return 'unknown';
  if (isBotUserAgent(userAgent)) return 'bot';
  if (/iPad|Tablet|PlayBook|Silk|Kindle|Android(?!.*Mobile)/i.test(userAgent)) return 'tablet';
  if (/Mobi|iPhone|iPod|Android.*Mobile|Windows Phone|Opera Mini/i.test(userAgent)) return 'mobile';
  if (/Windows NT|Macintosh|X11|Linux|CrOS/i.test(userAgent)) return 'desktop';
  return 'unknown';
}

/** HMAC-SHA256 of the IP with the network's secret salt (hex, 32 chars): comparable
 *  within one network, useless elsewhere, and not reversible without the salt. */
export function hashIp(salt: string, ip: string): string {
  return createHmac('sha256', salt).update(ip).digest('hex').slice(0, 32);
}

/** The network part of an address, for fraud review without the full address:
 *  IPv4 /24 (`203.0.113.0/24`), IPv6 /48. */
export function ipPrefix(ip: string): string | null {
  const kind = isIP(ip);
  if (kind === 4) {
    const parts = ip.split('.');
    return `${parts[0]}.${parts[1]}.${parts[2]}.0/24`;
  }
  if (kind === 6) {
    // A v4-mapped v6 address is a v4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return ipPrefix(mapped[1]!);
    const groups = expandIpv6(ip);
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return null;
}

function expandIpv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const all = ip.includes('::') ? [...left, ...Array(missing).fill('0'), ...right] : left;
  return all.map((g) => (Number.parseInt(g, 16) || 0).toString(16));
}
