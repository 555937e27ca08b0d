import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClickDecision, type ClickQuery, decideClick, type EdgeLink, withTrackingParam } from './click-destination';

const OWN = 'https://shoes.example/boots';
const LANDING = 'https://www.shoes.example/welcome';

function edgeLink(overrides: Partial<EdgeLink> = {}): EdgeLink {
  return {
    linkId: 'lnk_1',
    tenantId: 'net_1',
    programId: 'prg_1',
    affiliateId: 'aff_1',
    destinationUrl: OWN,
    subs: [null, null, null, null, null],
    linkStatus: 'active',
    programStatus: 'active',
    landingUrl: LANDING,
    allowedDomains: ['shoes.example'],
    trackingParam: 'aff_click_id',
    cookieDays: 30,
    fallbackUrl: null,
    enrollmentStatus: 'approved',
    affiliateStatus: 'active',
    ...overrides,
  };
}

function click(decision: ClickDecision): Extract<ClickDecision, { kind: 'click' }> {
  if (decision.kind !== 'click') throw new Error(`expected a click, got ${JSON.stringify(decision)}`);
  return decision;
}

/** The host of `url`, parsed the way a browser parses a Location header. */
function hostOf(url: string): string {
  return new URL(url).hostname;
}

/** shoes.example or a subdomain of it (a trailing dot is the same name, fully qualified). */
function onShoes(url: string): boolean {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/\.$/, '');
  return (
    (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
    parsed.username === '' &&
    parsed.password === '' &&
    (host === 'shoes.example' || host.endsWith('.shoes.example'))
  );
}

describe('decideClick: deep links (url=)', () => {
  it.each([
    ['another domain', 'https://evil.com/'],
    ['another domain over http', 'http://evil.com/shoes.example'],
    ['a suffix that is not a subdomain', 'https://evilshoes.example/'],
    ['protocol-relative', '//evil.com'],
    ['protocol-relative with the allowed domain in the path', '//evil.com/shoes.example'],
    ['credentials trick', 'https://shoes.example@evil.com'],
    ['credentials with a port', 'https://shoes.example:443@evil.com/'],
    ['credentials on the allowed host', 'https://user:pw@shoes.example/'],
    ['allowed domain as a subdomain of another', 'https://shoes.example.evil.com'],
    ['backslash before @', 'https://evil.com\\@shoes.example'],
    ['backslash before a subdomain', 'https://evil.com\\.shoes.example/'],
    ['backslashes instead of slashes', 'https:\\\\evil.com'],
    ['slash-backslash', '/\\evil.com'],
    ['backslash-slash', '\\/evil.com'],
    ['one slash and a backslash', 'https:/\\evil.com'],
    ['no slashes', 'https:evil.com'],
    ['fragment trick', 'https://evil.com#.shoes.example'],
    ['query trick', 'https://evil.com?.shoes.example'],
    ['encoded slash before @', 'https://evil.com%2f@shoes.example'],
    ['encoded @', 'https://shoes.example%40evil.com'],
    ['encoded dot', 'https://shoes.example%2eevil.com'],
    ['encoded #', 'https://evil.com%23.shoes.example'],
    ['encoded NUL', 'https://shoes.example%00.evil.com'],
    ['encoded scheme', '%68ttps://evil.com'],
    ['encoded javascript scheme', 'java%73cript:alert(1)'],
    ['javascript scheme', 'javascript:alert(1)'],
    ['javascript scheme with the domain in a comment', 'javascript:alert(1)//shoes.example'],
    ['mixed-case javascript scheme', 'JaVaScRiPt:alert(1)'],
    ['tab inside the scheme', 'java\tscript:alert(1)'],
    ['newline inside the scheme', 'java\nscript:alert(1)'],
    ['carriage return inside the scheme', 'java\rscript:alert(1)'],
    ['tab inside https', 'ht\ttps://evil.com/'],
    ['tab inside the host', 'https://shoes.exa\tmple.evil.com/'],
    ['leading space', ' https://evil.com/'],
    ['header injection', 'https://shoes.example/\r\nLocation: https://evil.com/'],
    ['data scheme', 'data:text/html,<script>alert(1)</script>'],
    ['base64 data scheme', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
    ['vbscript scheme', 'vbscript:msgbox(1)'],
    ['file scheme', 'file:///etc/passwd'],
    ['ftp scheme', 'ftp://shoes.example/'],
    ['IDN look-alike (Cyrillic о)', 'https://shоes.example/'],
    ['IDN look-alike subdomain', 'https://m.shоes.example/'],
    ['other domain with a trailing dot', 'https://evil.com./'],
    ['allowed domain under another, trailing dot', 'https://shoes.example.evil.com./'],
    ['two trailing dots', 'https://shoes.example../'],
    ['another domain with a port', 'https://evil.com:443/'],
    ['another domain with the allowed one after the port', 'https://evil.com:8443/shoes.example'],
    ['port trick', 'https://shoes.example:8443.evil.com/'],
    ['IP address', 'https://127.0.0.1/'],
    ['relative path', '/boots'],
    ['empty host', 'https:///evil.com'],
    ['longer than 2048 characters', `https://shoes.example/${'a'.repeat(2100)}`],
  ])('refuses %s, stays on the link destination and flags the click', (_name, url) => {
    const decision = click(decideClick(edgeLink(), { url }));
    expect(decision.destination).toBe(OWN);
    expect(hostOf(decision.destination)).toBe('shoes.example');
    expect(onShoes(decision.destination)).toBe(true);
    expect(decision.flags).toContain('deep_link_refused');
  });

  it.each([
    ['the allowed domain', 'https://shoes.example/sale?size=42#top', 'https://shoes.example/sale?size=42#top'],
    ['http', 'http://shoes.example/sale', 'http://shoes.example/sale'],
    ['an uppercase host', 'https://SHOES.example/x', 'https://shoes.example/x'],
    ['a subdomain', 'https://m.shoes.example/', 'https://m.shoes.example/'],
    ['a deeper subdomain', 'https://a.b.shoes.example/p', 'https://a.b.shoes.example/p'],
    ['a port', 'https://shoes.example:8443/x', 'https://shoes.example:8443/x'],
    ['the default port', 'https://shoes.example:443/x', 'https://shoes.example/x'],
    ['a trailing dot', 'https://shoes.example./x', 'https://shoes.example./x'],
    ['a subdomain with a trailing dot', 'https://m.shoes.example./', 'https://m.shoes.example./'],
    ['a percent-encoded host letter', 'https://%73hoes.example/', 'https://shoes.example/'],
    ['a full-width letter', 'https://ｓhoes.example/', 'https://shoes.example/'],
    ['an ideographic full stop', 'https://shoes。example/', 'https://shoes.example/'],
    ['a backslash (a path separator, normalised)', 'https://shoes.example\\@evil.com', 'https://shoes.example/@evil.com'],
  ])('follows %s, normalised', (_name, url, expected) => {
    const decision = click(decideClick(edgeLink(), { url }));
    expect(decision.destination).toBe(expected);
    expect(onShoes(decision.destination)).toBe(true);
    expect(decision.flags).toEqual([]);
  });

  it('matches allowed domains stored in punycode', () => {
    const link = edgeLink({ allowedDomains: ['xn--mller-kva.example'] });
    expect(click(decideClick(link, { url: 'https://müller.example/a' })).destination).toBe('https://xn--mller-kva.example/a');
    const lookAlike = click(decideClick(link, { url: 'https://mü11er.example/a' }));
    expect(lookAlike.flags).toContain('deep_link_refused');
  });

  it('goes to the landing page when both the deep link and the link destination are refused', () => {
    const link = edgeLink({ destinationUrl: 'https://old-shop.example/x' });
    const decision = click(decideClick(link, { url: 'https://evil.com/' }));
    expect(decision.destination).toBe(LANDING);
    expect(decision.flags).toEqual(['deep_link_refused']);
  });

  it('without url= uses the link destination and sets no flag', () => {
    expect(decideClick(edgeLink(), {})).toEqual({ kind: 'click', destination: OWN, subs: [null, null, null, null, null], flags: [] });
  });

  it('with an empty url= stays on the link destination', () => {
    expect(click(decideClick(edgeLink(), { url: '' })).destination).toBe(OWN);
  });

  const tricky = fc
    .array(
      fc.constantFrom(
        'https:',
        'http:',
        'javascript:',
        'data:',
        '//',
        '/',
        '\\',
        '\\\\',
        '@',
        ':',
        ':443',
        '.',
        '#',
        '?',
        '%2f',
        '%2e',
        '%40',
        '%5c',
        '%00',
        '\t',
        '\n',
        ' ',
        'shoes.example',
        'SHOES.EXAMPLE',
        'shоes.example',
        'evil.com',
        'm.',
        'xn--',
        '。',
        'ｓ',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join(''));

  const webUrls = fc.webUrl({ withQueryParameters: true, withFragments: true });
  /** A random URL with the allowed domain glued in front of, or behind, its host. */
  const glued = fc
    .tuple(webUrls, fc.constantFrom('shoes.example', 'shoes.example.', 'shoes.example@', 'shoes.example\\', '.shoes.example', 'm.shoes.example.'))
    .map(([u, d]) => (d.startsWith('.') ? u.replace(/^(https?:\/\/[^/?#]*)/, `$1${d}`) : u.replace(/^(https?:\/\/)/, `$1${d}`)));

  it.each([
    ['a link on the allowed domains', edgeLink()],
    ['a link whose destination left the allowed domains', edgeLink({ destinationUrl: 'https://old-shop.example/x' })],
  ])('never leaves the allowed domains (or the landing page), for %s', (_name, link) => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), webUrls, glued, tricky), (url) => {
        const decision = click(decideClick(link, { url }));
        expect(decision.flags.filter((f) => f !== 'deep_link_refused')).toEqual([]);
        if (decision.flags.includes('deep_link_refused')) {
          // Refused: the link's own destination, or the landing page when that is gone too.
          expect(decision.destination).toBe(link.destinationUrl === OWN ? OWN : LANDING);
        } else {
          // Followed: on the allowed domains, and normalised, never the raw input.
          expect(onShoes(decision.destination)).toBe(true);
          expect(new URL(decision.destination).toString()).toBe(decision.destination);
        }
        expect(decision.destination === LANDING || onShoes(decision.destination)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('decideClick: link, program and partner states', () => {
  it.each(['disabled', 'archived', 'deleted'])('a %s link takes no clicks', (linkStatus) => {
    expect(decideClick(edgeLink({ linkStatus }), {})).toEqual({ kind: 'inactive', fallbackUrl: null });
  });

  it.each(['draft', 'archived', 'closed'])('a %s program takes no clicks', (programStatus) => {
    expect(decideClick(edgeLink({ programStatus }), { url: 'https://shoes.example/x' })).toEqual({ kind: 'inactive', fallbackUrl: null });
  });

  it('an inactive link goes to the fallback when it is on the allowed domains, normalised', () => {
    expect(decideClick(edgeLink({ linkStatus: 'disabled', fallbackUrl: 'https://shoes.example/sale' }), {})).toEqual({
      kind: 'inactive',
      fallbackUrl: 'https://shoes.example/sale',
    });
    expect(decideClick(edgeLink({ programStatus: 'archived', fallbackUrl: 'https://SHOES.example/Sale' }), {})).toEqual({
      kind: 'inactive',
      fallbackUrl: 'https://shoes.example/Sale',
    });
    // A raw fallback with a backslash would be read as credentials by an RFC 3986 parser.
    const decision = decideClick(edgeLink({ linkStatus: 'disabled', fallbackUrl: 'https://shoes.example\\@evil.com' }), {});
    expect(decision).toEqual({ kind: 'inactive', fallbackUrl: 'https://shoes.example/@evil.com' });
  });

  it.each([
    'https://evil.com/',
    'https://shoes.example@evil.com/',
    'https://shoes.example.evil.com/',
    'javascript:alert(1)',
    '//evil.com',
    'https://shоes.example/',
  ])('an inactive link never falls back to %s', (fallbackUrl) => {
    expect(decideClick(edgeLink({ linkStatus: 'disabled', fallbackUrl }), {})).toEqual({ kind: 'inactive', fallbackUrl: null });
    expect(decideClick(edgeLink({ programStatus: 'draft', fallbackUrl }), {})).toEqual({ kind: 'inactive', fallbackUrl: null });
  });

  it('a paused program still redirects, flagged', () => {
    const decision = click(decideClick(edgeLink({ programStatus: 'paused' }), {}));
    expect(decision.destination).toBe(OWN);
    expect(decision.flags).toEqual(['program_paused']);
    const deep = click(decideClick(edgeLink({ programStatus: 'paused' }), { url: 'https://shoes.example/sale' }));
    expect(deep.destination).toBe('https://shoes.example/sale');
    expect(deep.flags).toEqual(['program_paused']);
  });

  it.each([
    ['pending', 'active', ['enrollment_inactive']],
    ['rejected', 'active', ['enrollment_inactive']],
    ['removed', 'active', ['enrollment_inactive']],
    ['approved', 'suspended', ['affiliate_inactive']],
    ['approved', 'pending', ['affiliate_inactive']],
    ['pending', 'suspended', ['enrollment_inactive', 'affiliate_inactive']],
  ])('enrollment %s, affiliate %s: the landing page, flagged', (enrollmentStatus, affiliateStatus, flags) => {
    const link = edgeLink({ enrollmentStatus, affiliateStatus });
    for (const query of [{}, { url: 'https://shoes.example/sale' }, { url: 'https://evil.com/' }] satisfies ClickQuery[]) {
      const decision = click(decideClick(link, query));
      expect(decision.destination).toBe(LANDING);
      expect(decision.flags).toEqual(flags);
    }
  });

  it('combines a paused program with an inactive partner', () => {
    const decision = click(decideClick(edgeLink({ programStatus: 'paused', affiliateStatus: 'suspended' }), {}));
    expect(decision.destination).toBe(LANDING);
    expect(decision.flags).toEqual(['program_paused', 'affiliate_inactive']);
  });

  it('a link destination no longer on the allowed domains goes to the landing page', () => {
    const link = edgeLink({ destinationUrl: 'https://shoes.example/boots', allowedDomains: ['boots.example'], landingUrl: 'https://boots.example/' });
    const decision = click(decideClick(link, {}));
    expect(decision.destination).toBe('https://boots.example/');
    expect(decision.flags).toEqual([]);
    // A deep link on the new domains is still followed.
    expect(click(decideClick(link, { url: 'https://boots.example/x' })).destination).toBe('https://boots.example/x');
  });

  it('a link destination that is not a URL at all goes to the landing page', () => {
    expect(click(decideClick(edgeLink({ destinationUrl: 'javascript:alert(1)' }), {})).destination).toBe(LANDING);
  });

  it('the link destination is normalised', () => {
    expect(click(decideClick(edgeLink({ destinationUrl: 'https://SHOES.example/Boots' }), {})).destination).toBe('https://shoes.example/Boots');
  });
});

describe('decideClick: sub ids', () => {
  const link = edgeLink({ subs: ['news', 'spring', null, null, 'd5'] });

  it('keeps the link defaults without query values', () => {
    expect(click(decideClick(link, {})).subs).toEqual(['news', 'spring', null, null, 'd5']);
  });

  it('query values override the defaults, empty ones keep them', () => {
    const decision = click(decideClick(link, { sub1: 'q1', sub2: '', sub3: 'q3', sub5: 'q5' }));
    expect(decision.subs).toEqual(['q1', 'spring', 'q3', null, 'q5']);
  });

  it('an empty query value with no default is null', () => {
    expect(click(decideClick(link, { sub3: '', sub4: '' })).subs).toEqual(['news', 'spring', null, null, 'd5']);
  });

  it('keeps values byte for byte (no trimming, no decoding)', () => {
    expect(click(decideClick(link, { sub1: ' a%20b+c ' })).subs[0]).toBe(' a%20b+c ');
  });

  it('cuts values longer than 255 characters, from the query and the defaults', () => {
    const long = 'x'.repeat(300);
    const decision = click(decideClick(edgeLink({ subs: [null, long, null, null, null] }), { sub1: long }));
    expect(decision.subs[0]).toBe('x'.repeat(255));
    expect(decision.subs[1]).toBe('x'.repeat(255));
    expect(click(decideClick(link, { sub1: 'y'.repeat(255) })).subs[0]).toBe('y'.repeat(255));
  });

  it('does not cut a character in half', () => {
    const decision = click(decideClick(link, { sub1: `${'x'.repeat(254)}😀tail` }));
    expect(decision.subs[0]).toBe('x'.repeat(254));
    expect(click(decideClick(link, { sub1: `${'x'.repeat(253)}😀tail` })).subs[0]).toBe(`${'x'.repeat(253)}😀`);
  });

  it('subs are set for a partner who is not active too', () => {
    expect(click(decideClick(edgeLink({ affiliateStatus: 'suspended' }), { sub1: 'a' })).subs).toEqual(['a', null, null, null, null]);
  });
});

describe('withTrackingParam', () => {
  it.each([
    ['no query', 'https://a.example/p', 'https://a.example/p?aff_click_id=clk_1'],
    ['no path', 'https://a.example', 'https://a.example?aff_click_id=clk_1'],
    ['a query', 'https://a.example/p?x=1', 'https://a.example/p?x=1&aff_click_id=clk_1'],
    ['an empty query', 'https://a.example/?', 'https://a.example/?aff_click_id=clk_1'],
    ['a trailing &', 'https://a.example/p?x=1&', 'https://a.example/p?x=1&aff_click_id=clk_1'],
    ['a fragment', 'https://a.example/p#top', 'https://a.example/p?aff_click_id=clk_1#top'],
    ['a query and a fragment', 'https://a.example/p?x=1#top', 'https://a.example/p?x=1&aff_click_id=clk_1#top'],
    ['an empty fragment', 'https://a.example/p#', 'https://a.example/p?aff_click_id=clk_1#'],
    ['a fragment with a query-like part', 'https://a.example/p#top?x=1&aff_click_id=f', 'https://a.example/p?aff_click_id=clk_1#top?x=1&aff_click_id=f'],
    ['an earlier value', 'https://a.example/p?aff_click_id=old', 'https://a.example/p?aff_click_id=clk_1'],
    ['an earlier value among others', 'https://a.example/p?a=1&aff_click_id=old&b=2#f', 'https://a.example/p?a=1&b=2&aff_click_id=clk_1#f'],
    ['several earlier values', 'https://a.example/p?aff_click_id=1&aff_click_id=2&aff_click_id', 'https://a.example/p?aff_click_id=clk_1'],
    ['an earlier value with an encoded name', 'https://a.example/p?aff%5Fclick%5Fid=old', 'https://a.example/p?aff_click_id=clk_1'],
    [
      'names that merely contain the parameter',
      'https://a.example/p?xaff_click_id=1&aff_click_idx=2&aff_click_id_=3',
      'https://a.example/p?xaff_click_id=1&aff_click_idx=2&aff_click_id_=3&aff_click_id=clk_1',
    ],
    ['encoded values', 'https://a.example/p?q=a%20b&r=c+d', 'https://a.example/p?q=a%20b&r=c+d&aff_click_id=clk_1'],
    [
      'a signed query',
      'https://a.example/p?utm_source=x&sig=AbC%2F%3D%3D&u=%E2%82%AC&raw=a=b',
      'https://a.example/p?utm_source=x&sig=AbC%2F%3D%3D&u=%E2%82%AC&raw=a=b&aff_click_id=clk_1',
    ],
    ['a malformed escape', 'https://a.example/p?bad=%E0%A4%A&%zz=1', 'https://a.example/p?bad=%E0%A4%A&%zz=1&aff_click_id=clk_1'],
  ])('with %s', (_name, destination, expected) => {
    const result = withTrackingParam(destination, 'aff_click_id', 'clk_1');
    expect(result).toBe(expected);
    expect(new URL(result).searchParams.getAll('aff_click_id')).toEqual(['clk_1']);
  });

  it('uses the program’s parameter name and leaves other tracking parameters alone', () => {
    const result = withTrackingParam('https://a.example/p?aff_click_id=other&ref_id=old#x', 'ref_id', 'clk_2');
    expect(result).toBe('https://a.example/p?aff_click_id=other&ref_id=clk_2#x');
    const url = new URL(result);
    expect(url.searchParams.get('ref_id')).toBe('clk_2');
    expect(url.searchParams.get('aff_click_id')).toBe('other');
    expect(url.hash).toBe('#x');
  });

  it('encodes the parameter and the click id', () => {
    const result = withTrackingParam('https://a.example/p?a b=1&c', 'a b', 'x&y=z#');
    expect(result).toBe('https://a.example/p?c&a%20b=x%26y%3Dz%23');
    expect(new URL(result).searchParams.getAll('a b')).toEqual(['x&y=z#']);
  });

  it('for any URL: one value of the parameter, every other parameter and the fragment kept', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.constantFrom('aff_click_id', 'ref_id', 'clickid'),
        fc.stringMatching(/^clk_[0-9a-z]{26}$/),
        (destination, param, clickId) => {
          const before = new URL(destination);
          const after = new URL(withTrackingParam(destination, param, clickId));
          expect(after.searchParams.getAll(param)).toEqual([clickId]);
          expect(after.origin).toBe(before.origin);
          expect(after.pathname).toBe(before.pathname);
          expect(after.hash).toBe(before.hash);
          const others = (u: URL) => [...u.searchParams].filter(([k]) => k !== param);
          expect(others(after)).toEqual(others(before));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
