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

/** `bot` may be passed when the caller already ran `isBotUserAgent` (it is the costly part). */
export function deviceClass(userAgent: string | null, bot: boolean = isBotUserAgent(userAgent)): DeviceClass {
  if (!userAgent) return 'unknown';
  if (bot) return 'bot';
  // Android without "Mobile" anywhere is a tablet. Not a look-ahead from the first
  // "Android": in-app browsers repeat it after "Mobile" (`… Mobile Safari/537.36
  // [Pinterest/Android]`, Snapchat's `(…; Android 13#…)`), which made phones tablets.
  if (/iPad|Tablet|PlayBook|Silk|Kindle/i.test(userAgent) || (/Android/i.test(userAgent) && !/Mobile/i.test(userAgent))) return 'tablet';
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
    const groups = expandIpv6(ip.replace(/%.*$/, ''));
    // A v4-mapped v6 address is a v4 address, however it is written
    // (`::ffff:203.0.113.9`, `0:0:0:0:0:ffff:203.0.113.9`, `::ffff:cb00:7109`).
    if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
      const hi = Number.parseInt(groups[6]!, 16);
      const lo = Number.parseInt(groups[7]!, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.0/24`;
    }
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return null;
}

function expandIpv6(address: string): string[] {
  // A trailing dotted quad is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const ip = quad
    ? `${address.slice(0, quad.index)}${((Number(quad[1]) << 8) | Number(quad[2])).toString(16)}:${((Number(quad[3]) << 8) | Number(quad[4])).toString(16)}`
    : address;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const all = ip.includes('::') ? [...left, ...Array(missing).fill('0'), ...right] : left;
  return all.map((g) => (Number.parseInt(g, 16) || 0).toString(16));
}
