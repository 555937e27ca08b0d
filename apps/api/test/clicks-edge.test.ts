import { clickStreamKey } from '@app/domain/clicks/click-event';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from './builders';
import { expectProblem, type Harness, startHarness } from './harness';

// The tracking edge without a worker: what /c/{code} answers, and what it writes to the
// click stream.

let h: Harness;
let redis: Redis;
let alpha: Awaited<ReturnType<typeof setup>>;
let beta: Awaited<ReturnType<typeof setup>>;

const CHROME = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

async function setup(slug: string) {
  const { net, merchantId, merchantToken } = await networkWithMerchant(h, slug);
  const programId = await createProgram(h, merchantToken, merchantId, { allowedDomains: ['shoes.example', 'shoes-outlet.example'] });
  const aff = await partner(h, slug, `bob@${slug}.example`);
  await approvedEnrollment(h, merchantToken, programId, aff.token);
  const link = await createLink(h, aff.token, { programId, sub2: 'link-default' });
  return { net, merchantId, merchantToken, programId, aff, link };
}

function click(path: string, headers: Record<string, string> = {}, remoteAddress = '198.51.100.7') {
  return h.app.inject({ method: 'GET', url: path, headers: { 'user-agent': CHROME, ...headers }, remoteAddress });
}

/** The stream entry of a click id. */
async function eventOf(clickId: string) {
  const entries = await redis.xrange(clickStreamKey(h.config.REDIS_PREFIX), '-', '+');
  for (const [, fields] of entries) {
    const event = JSON.parse(fields[1]!);
    if (event.id === clickId) return event;
  }
  return undefined;
}

function clickIdOf(location: unknown, param = 'aff_click_id'): string {
  return new URL(String(location)).searchParams.get(param)!;
}

async function eventually(fn: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  h = await startHarness('edge', { TRUST_PROXY: '10.0.0.1', CLICK_COUNTRY_HEADER: 'cf-ipcountry' });
  redis = new Redis(h.config.REDIS_URL);
  alpha = await setup('alpha');
  beta = await setup('beta');
});
afterAll(async () => {
  redis?.disconnect();
  await h?.close();
});

describe('GET /c/{code}', () => {
  it('answers 302 to the destination with a sortable click id added, no-store, a referrer policy and a visitor cookie; the click is on the stream', async () => {
    const res = await click(`/c/${alpha.link.code}?sub1=spring&sub3=x`, { referer: 'https://blog.example/post', 'cf-ipcountry': 'se' });
    expect(res.statusCode).toBe(302);
    const location = new URL(String(res.headers.location));
    expect(location.origin + location.pathname).toBe('https://shoes.example/');
    const clickId = clickIdOf(res.headers.location);
    expect(clickId).toMatch(/^clk_[0-7][0-9a-hjkmnp-tv-z]{25}$/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^affv=[A-Za-z0-9_-]{22}; Max-Age=31536000; Path=\/; HttpOnly; SameSite=Lax$/);

    const event = await eventOf(clickId);
    expect(event).toMatchObject({
      id: clickId,
      tenantId: alpha.net.tenantId,
      programId: alpha.programId,
      affiliateId: alpha.aff.id,
      linkId: alpha.link.id,
      method: 'GET',
      ip: '198.51.100.7',
      referrer: 'https://blog.example/post',
      country: 'SE',
      subs: ['spring', 'link-default', 'x', null, null],
      flags: [],
    });
    expect(event.visitorId).toBe(cookie.split(';')[0]!.slice('affv='.length));

    // A returning visitor keeps the cookie: no new one, the same visitor id.
    const again = await click(`/c/${alpha.link.code}`, { cookie: cookie.split(';')[0]! });
    expect(again.headers['set-cookie']).toBeUndefined();
    expect((await eventOf(clickIdOf(again.headers.location)))?.visitorId).toBe(event.visitorId);
    // Click ids sort by time.
    expect(clickIdOf(again.headers.location) > clickId).toBe(true);
  });

  it('adds the tracking parameter to deep links with and without queries and fragments, keeping the query as it was', async () => {
    const cases: [string, RegExp][] = [
      ['https://shoes.example/sale', /^https:\/\/shoes\.example\/sale\?aff_click_id=clk_\w+$/],
      ['https://shoes.example/p?color=red&size=42', /^https:\/\/shoes\.example\/p\?color=red&size=42&aff_click_id=clk_\w+$/],
      ['https://shoes.example/p?q=a%20b#reviews', /^https:\/\/shoes\.example\/p\?q=a%20b&aff_click_id=clk_\w+#reviews$/],
      ['https://m.shoes-outlet.example/#top', /^https:\/\/m\.shoes-outlet\.example\/\?aff_click_id=clk_\w+#top$/],
      ['https://shoes.example/p?aff_click_id=forged&x=1', /^https:\/\/shoes\.example\/p\?x=1&aff_click_id=clk_\w+$/],
    ];
    for (const [deep, expected] of cases) {
      const res = await click(`/c/${alpha.link.code}?url=${encodeURIComponent(deep)}`);
      expect(res.statusCode, deep).toBe(302);
      expect(String(res.headers.location), deep).toMatch(expected);
    }
  });

  it('never redirects outside the allowed domains, whatever url= says', async () => {
    const attempts = [
      'https://evil.example/',
      '//evil.example/',
      'https://shoes.example@evil.example/',
      'https://shoes.example.evil.example/',
      'https://evil.example\\@shoes.example/',
      'https:\\\\evil.example',
      '/\\evil.example',
      'https://evil.example%2f@shoes.example',
      'javascript:alert(document.cookie)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'https://shоes.example/',
      'http://[::1]/',
      'https://127.0.0.1/',
    ];
    for (const attempt of attempts) {
      for (const encoded of [encodeURIComponent(attempt), encodeURIComponent(encodeURIComponent(attempt))]) {
        const res = await click(`/c/${alpha.link.code}?url=${encoded}`);
        expect(res.statusCode, attempt).toBe(302);
        const location = new URL(String(res.headers.location));
        expect(location.protocol, attempt).toBe('https:');
        expect(location.host, attempt).toBe('shoes.example');
        const event = await eventOf(clickIdOf(res.headers.location));
        expect(event?.flags, attempt).toContain('deep_link_refused');
      }
    }
  });

  it('answers HEAD like GET, and uses the forwarded client IP only from a trusted proxy', async () => {
    const head = await h.app.inject({ method: 'HEAD', url: `/c/${alpha.link.code}`, remoteAddress: '198.51.100.9' });
    expect(head.statusCode).toBe(302);
    expect((await eventOf(clickIdOf(head.headers.location)))?.method).toBe('HEAD');
    const trusted = await click(`/c/${alpha.link.code}`, { 'x-forwarded-for': '203.0.113.50' }, '10.0.0.1');
    expect((await eventOf(clickIdOf(trusted.headers.location)))?.ip).toBe('203.0.113.50');
    const spoofed = await click(`/c/${alpha.link.code}`, { 'x-forwarded-for': '203.0.113.50' }, '192.0.2.1');
    expect((await eventOf(clickIdOf(spoofed.headers.location)))?.ip).toBe('192.0.2.1');
  });

  it('unknown and malformed codes get a small 404 page', async () => {
    for (const path of ['/c/NoSuchCode1', '/c/a', `/c/${'x'.repeat(65)}`, '/c/%3Cscript%3E']) {
      const res = await click(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('This link is not active');
      expect(res.headers.location).toBeUndefined();
    }
  });

  it('follows link and program changes at once: disabled → 404 (or the fallback URL), paused → still redirects, new allowed domains apply', async () => {
    const { merchantToken, programId, aff } = alpha;
    const link = await h.request({ method: 'POST', url: '/v1/links', token: aff.token, payload: { programId, label: 'changes' } });
    const code = link.body.code as string;
    expect((await click(`/c/${code}`)).statusCode).toBe(302); // now cached

    const disabled = await h.request({ method: 'PATCH', url: `/v1/links/${link.body.id}`, token: aff.token, payload: { status: 'disabled' } });
    expect(disabled.status).toBe(200);
    await eventually(async () => (await click(`/c/${code}`)).statusCode === 404);

    const fallback = await h.request({
      method: 'PATCH',
      url: `/v1/programs/${programId}`,
      token: merchantToken,
      payload: { fallbackUrl: 'https://shoes.example/gone' },
    });
    expect(fallback.status).toBe(200);
    await eventually(async () => (await click(`/c/${code}`)).headers.location === 'https://shoes.example/gone');

    const paused = await h.request({ method: 'PATCH', url: `/v1/programs/${programId}`, token: merchantToken, payload: { status: 'paused' } });
    expect(paused.status).toBe(200);
    await eventually(async () => {
      const res = await click(`/c/${alpha.link.code}`);
      if (res.statusCode !== 302) return false;
      return ((await eventOf(clickIdOf(res.headers.location)))?.flags ?? []).includes('program_paused');
    });

    const narrowed = await h.request({
      method: 'PATCH',
      url: `/v1/programs/${programId}`,
      token: merchantToken,
      payload: { status: 'active', allowedDomains: ['shoes.example'] },
    });
    expect(narrowed.status).toBe(200);
    await eventually(async () => {
      const res = await click(`/c/${alpha.link.code}?url=${encodeURIComponent('https://shoes-outlet.example/x')}`);
      return new URL(String(res.headers.location)).host === 'shoes.example';
    });
  });

  it('a suspended partner’s link still sends visitors to the landing page, flagged as not billable', async () => {
    const { merchantToken, programId } = beta;
    const enrollments = await h.request({ method: 'GET', url: `/v1/programs/${programId}/enrollments`, token: merchantToken });
    const enrollmentId = enrollments.body.data[0].id as string;
    const suspended = await h.request({
      method: 'POST',
      url: `/v1/programs/${programId}/enrollments/${enrollmentId}/suspend`,
      token: merchantToken,
      payload: { reason: 'policy' },
    });
    expect(suspended.status).toBe(200);
    await eventually(async () => {
      const res = await click(`/c/${beta.link.code}?url=${encodeURIComponent('https://shoes.example/deep')}`);
      const location = new URL(String(res.headers.location));
      const event = await eventOf(clickIdOf(res.headers.location));
      return res.statusCode === 302 && location.pathname === '/' && (event?.flags ?? []).includes('enrollment_inactive');
    });
  });
});

describe('over HTTP', () => {
  it('the server hands /c/… to the lean edge instance and everything else to the API, on one port', async () => {
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${base}/c/${alpha.link.code}?sub1=http`, { redirect: 'manual', headers: { 'user-agent': CHROME } });
      expect(res.status).toBe(302);
      expect(res.headers.get('cache-control')).toBe('no-store');
      // The API's page headers are not on the hot path.
      expect(res.headers.get('x-request-id')).toBeNull();
      const event = await eventOf(clickIdOf(res.headers.get('location')));
      expect(event).toMatchObject({ linkId: alpha.link.id, subs: ['http', 'link-default', null, null, null] });
      expect((await fetch(`${base}/c/NoSuchCode1`)).status).toBe(404);
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get('x-request-id')).toMatch(/^req_/);
    } finally {
      await h.app.server.close();
    }
  });
});

describe('custom tracking domains', () => {
  it('a network adds a host; only its own links resolve there, every link resolves on the platform host', async () => {
    const added = await h.request({ method: 'POST', url: '/v1/tracking-domains', token: alpha.net.token, payload: { host: 'Go.Alpha-Partners.example' } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ host: 'go.alpha-partners.example', linkBaseUrl: 'https://go.alpha-partners.example/c/' });

    const own = await click(`/c/${alpha.link.code}`, { host: 'go.alpha-partners.example' });
    expect(own.statusCode).toBe(302);
    const foreign = await click(`/c/${beta.link.code}`, { host: 'go.alpha-partners.example' });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers.location).toBeUndefined();
    expect((await click(`/c/${beta.link.code}`, { host: 'track.example' })).statusCode).toBe(302);

    // Taken by one network, refused to another; bad hosts refused; others' rows invisible.
    expectProblem(
      await h.request({ method: 'POST', url: '/v1/tracking-domains', token: beta.net.token, payload: { host: 'go.alpha-partners.example' } }),
      409,
      'already_exists',
    );
    for (const host of ['not a host', 'https://x.example/path', 'track.example', 'localhost']) {
      expectProblem(await h.request({ method: 'POST', url: '/v1/tracking-domains', token: alpha.net.token, payload: { host } }), 400, 'validation_failed');
    }
    expectProblem(
      await h.request({ method: 'POST', url: '/v1/tracking-domains', token: alpha.net.token, payload: { host: 'a.example', extra: 1 } }),
      400,
      'validation_failed',
    );
    expectProblem(await h.request({ method: 'POST', url: '/v1/tracking-domains', token: alpha.aff.token, payload: { host: 'b.example' } }), 403, 'forbidden');
    expect((await h.request({ method: 'GET', url: '/v1/tracking-domains', token: beta.net.token })).body.data).toEqual([]);
    expectProblem(await h.request({ method: 'DELETE', url: `/v1/tracking-domains/${added.body.id}`, token: beta.net.token }), 404, 'not_found');

    // Removed: the host is the platform's again, and the change reaches the edge at once.
    expect((await h.request({ method: 'DELETE', url: `/v1/tracking-domains/${added.body.id}`, token: alpha.net.token })).status).toBe(204);
    await eventually(async () => (await click(`/c/${beta.link.code}`, { host: 'go.alpha-partners.example' })).statusCode === 302);
  });
});
