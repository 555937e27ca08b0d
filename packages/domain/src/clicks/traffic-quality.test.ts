import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deviceClass, hashIp, ipPrefix, isBotUserAgent } from './traffic-quality';

const BOTS: [string, string][] = [
  ['Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
  [
    'Googlebot smartphone',
    'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  ],
  ['Bingbot', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)'],
  ['Slack unfurler', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)'],
  ['Facebook unfurler', 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)'],
  ['WhatsApp preview (Android)', 'WhatsApp/2.23.20.0 A'],
  ['WhatsApp preview (iOS)', 'WhatsApp/2.21.12.21 i'],
  ['Twitterbot', 'Twitterbot/1.0'],
  ['LinkedInBot', 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)'],
  ['TelegramBot', 'TelegramBot (like TwitterBot)'],
  ['Discordbot', 'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)'],
  ['Pinterestbot', 'Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)'],
  ['Headless Chrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36'],
  ['curl', 'curl/8.4.0'],
  ['python-requests', 'python-requests/2.31.0'],
  ['Go', 'Go-http-client/1.1'],
];

const BROWSERS: [string, string, 'desktop' | 'mobile' | 'tablet' | 'unknown'][] = [
  ['Chrome on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'desktop'],
  [
    'Edge on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
    'desktop',
  ],
  ['Safari on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 'desktop'],
  ['Firefox on Linux', 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'desktop'],
  ['Chrome on ChromeOS', 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'desktop'],
  [
    'Safari on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'mobile',
  ],
  [
    'Chrome on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
    'mobile',
  ],
  [
    'Chrome on an Android phone',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    'mobile',
  ],
  [
    'Chrome on Android, reduced UA',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    'mobile',
  ],
  [
    'Samsung Internet on a phone',
    'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
    'mobile',
  ],
  ['Firefox on an Android phone', 'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0', 'mobile'],
  [
    'Instagram in-app on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.40.92 (iPhone14,5; iOS 17_4; en_US; en; scale=3.00; 1170x2532; 599263417)',
    'mobile',
  ],
  [
    'Facebook in-app on Android',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.230803.041; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/460.0.0.48.109;]',
    'mobile',
  ],
  [
    'Pinterest in-app on an Android phone',
    'Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.163 Mobile Safari/537.36 [Pinterest/Android]',
    'mobile',
  ],
  [
    'Snapchat in-app on an Android phone',
    'Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.196 Mobile Safari/537.36Snapchat/12.52.0.44 (SM-A536B; Android 13#A536BXXU5CWE7#33; gzip; )',
    'mobile',
  ],
  [
    'Safari on iPad',
    'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'tablet',
  ],
  ['Chrome on an Android tablet', 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'tablet'],
  ['Firefox on an Android tablet', 'Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0', 'tablet'],
  [
    'Silk on a Kindle Fire',
    'Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/124.2.1 like Chrome/124.0.6367.219 Safari/537.36',
    'tablet',
  ],
  ['a games console', 'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15', 'unknown'],
];

describe('isBotUserAgent', () => {
  it.each(BOTS)('%s is a bot', (_name, ua) => {
    expect(isBotUserAgent(ua)).toBe(true);
  });

  it.each([null, ''])('no user agent (%j) is a bot', (ua) => {
    expect(isBotUserAgent(ua)).toBe(true);
  });

  it.each(BROWSERS)('%s is a person', (_name, ua) => {
    expect(isBotUserAgent(ua)).toBe(false);
  });
});

describe('deviceClass', () => {
  it.each(BOTS)('%s is "bot"', (_name, ua) => {
    expect(deviceClass(ua)).toBe('bot');
  });

  it.each(BROWSERS)('%s is %s', (_name, ua, expected) => {
    expect(deviceClass(ua)).toBe(expected);
  });

  it.each([null, ''])('no user agent (%j) is "unknown"', (ua) => {
    expect(deviceClass(ua)).toBe('unknown');
  });
});

describe('hashIp', () => {
  it('is 32 hex characters, stable for the same salt and address', () => {
    const hash = hashIp('salt-a', '203.0.113.9');
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(hashIp('salt-a', '203.0.113.9')).toBe(hash);
    // HMAC-SHA256(key "salt-a", "203.0.113.9"), first 128 bits: pinned so a change of
    // algorithm (which would break unique counting across a deploy) is noticed.
    expect(hash).toBe(HASH_SALT_A);
  });

  it('differs across salts and across addresses', () => {
    expect(hashIp('salt-b', '203.0.113.9')).not.toBe(hashIp('salt-a', '203.0.113.9'));
    expect(hashIp('salt-a', '203.0.113.10')).not.toBe(hashIp('salt-a', '203.0.113.9'));
    expect(hashIp('salt-a', '2001:db8::1')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('does not contain the address', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.ipV4(), (salt, ip) => {
        const hash = hashIp(salt, ip);
        expect(hash).toMatch(/^[0-9a-f]{32}$/);
        expect(hash).toBe(hashIp(salt, ip));
        expect(hash).not.toContain(ip);
      }),
    );
  });
});

describe('ipPrefix', () => {
  it.each([
    ['203.0.113.9', '203.0.113.0/24'],
    ['10.0.0.255', '10.0.0.0/24'],
    ['0.0.0.0', '0.0.0.0/24'],
    ['255.255.255.255', '255.255.255.0/24'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::/48'],
    ['2001:0db8:0001:0000:0000:8a2e:0370:7334', '2001:db8:1::/48'],
    ['2001:0DB8:85A3:0000:0000:8A2E:0370:7334', '2001:db8:85a3::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['2001:db8:7::', '2001:db8:7::/48'],
    ['2001::', '2001:0:0::/48'],
    ['::1', '0:0:0::/48'],
    ['::', '0:0:0::/48'],
    ['fe80::1%eth0', 'fe80:0:0::/48'],
    ['1::2:3:4:5:1.2.3.4', '1:0:2::/48'],
    ['64:ff9b::203.0.113.9', '64:ff9b:0::/48'],
    ['::ffff:203.0.113.9', '203.0.113.0/24'],
    ['::FFFF:203.0.113.9', '203.0.113.0/24'],
    ['0:0:0:0:0:ffff:203.0.113.9', '203.0.113.0/24'],
    ['::ffff:cb00:7109', '203.0.113.0/24'],
    ['0000:0000:0000:0000:0000:FFFF:CB00:7109', '203.0.113.0/24'],
  ])('%s → %s', (ip, prefix) => {
    expect(ipPrefix(ip)).toBe(prefix);
  });

  it.each(['', 'not-an-ip', '256.1.1.1', '1.2.3', '1.2.3.4.5', ' 203.0.113.9', '203.0.113.9/24', '2001:db8:::1', '2001:db8::1::2', '12345::1', 'example.com'])(
    '%j → null',
    (ip) => {
      expect(ipPrefix(ip)).toBeNull();
    },
  );

  it('keeps the first three bytes of any IPv4 address, also when v4-mapped', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const expected = `${ip.split('.').slice(0, 3).join('.')}.0/24`;
        expect(ipPrefix(ip)).toBe(expected);
        expect(ipPrefix(`::ffff:${ip}`)).toBe(expected);
      }),
    );
  });

  it('keeps the first 48 bits of any IPv6 address, however it is written', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const prefix = ipPrefix(ip);
        expect(prefix).toMatch(/^(?:[0-9a-f]{1,4}:){3}:\/48$|^\d+\.\d+\.\d+\.0\/24$/);
        // The same address in URL-normalised (compressed, lower-case) form gives the same prefix.
        const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
        expect(ipPrefix(canonical)).toBe(prefix);
      }),
    );
  });
});

const HASH_SALT_A = '9e195677395ce99fbf447d0280b75e86';
