import { gzipSync } from 'node:zlib';
import { clickStreamKey } from '@app/domain/clicks/click-event';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from './builders';
import { count, createApiKey, createMerchant, expectProblem, type Harness, logIn, startHarness } from './harness';

// The browser tracker's API side, without a browser: /t.js, POST /v1/track/click (what
// it writes to the click stream) and POST /v1/track/lead (what it stores), and CORS.

let h: Harness;
let redis: Redis;
let ownerToken: string;
let merchantId: string;
let pk: string;
let sk: string;
let program: string;
let boots: string;
let bob: { token: string; id: string };
let link: { id: string; code: string };
let bootsLink: { id: string; code: string };
let bagsProgram: string;
let bagsPk: string;
let otherProgram: string;
let otherPk: string;
let otherLink: { code: string };

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const SHOP = 'https://www.shoes.example';

function track(path: 'click' | 'lead', token: string | undefined, payload: unknown, headers: Record<string, string> = { origin: SHOP }) {
  return h.request({
    method: 'POST',
    url: `/v1/track/${path}`,
    token,
    payload: payload as object,
    headers: { 'user-agent': CHROME, ...headers },
    remoteAddress: '203.0.113.9',
  });
}

async function streamEvents(): Promise<Record<string, unknown>[]> {
  const entries = await redis.xrange(clickStreamKey(h.config.REDIS_PREFIX), '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[1] as string));
}

async function conversionRows(externalId: string) {
  return (await h.owner.query('SELECT * FROM conversions WHERE external_id = $1', [externalId])).rows;
}

beforeAll(async () => {
  h = await startHarness('tracker', { RATE_LIMIT_MAX: '100000' });
  redis = new Redis(h.config.REDIS_URL);
  let net: { token: string };
  ({ net, merchantId, merchantToken: ownerToken } = await networkWithMerchant(h, 'trk'));
  pk = (await createApiKey(h, ownerToken, merchantId, 'publishable')).key;
  sk = (await createApiKey(h, ownerToken, merchantId, 'secret')).key;
  program = await createProgram(h, ownerToken, merchantId, { cookieDays: 45 });
  boots = await createProgram(h, ownerToken, merchantId, { name: 'Boots' });
  bob = await partner(h, 'trk', 'bob@blog.example');
  await approvedEnrollment(h, ownerToken, program, bob.token);
  await approvedEnrollment(h, ownerToken, boots, bob.token);
  link = await createLink(h, bob.token, { programId: program, sub1: 'sidebar' });
  bootsLink = await createLink(h, bob.token, { programId: boots });

  const bags = await createMerchant(h, net.token, 'Bags', 'owner@bags.example');
  const bagsOwner = (await logIn(h, 'trk', 'owner@bags.example')).accessToken;
  bagsPk = (await createApiKey(h, bagsOwner, bags.id, 'publishable')).key;
  bagsProgram = await createProgram(h, bagsOwner, bags.id, { name: 'Bags' });

  const other = await networkWithMerchant(h, 'trk-other');
  otherPk = (await createApiKey(h, other.merchantToken, other.merchantId, 'publishable')).key;
  otherProgram = await createProgram(h, other.merchantToken, other.merchantId);
  const carol = await partner(h, 'trk-other', 'carol@blog.example');
  await approvedEnrollment(h, other.merchantToken, otherProgram, carol.token);
  otherLink = await createLink(h, carol.token, { programId: otherProgram });
});

afterAll(async () => {
  redis?.disconnect();
  await h?.close();
});

describe('GET /t.js', () => {
  it('serves the tracker without credentials: JavaScript, cached 5 minutes, an ETag, loadable from other sites, under 3 KB gzipped', async () => {
    const res = await h.request({ method: 'GET', url: '/t.js' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{20,}"$/);
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const script = String(res.body);
    expect(script).toContain('/v1/track/lead');
    expect(gzipSync(script).length).toBeLessThan(3072);

    const again = await h.request({ method: 'GET', url: '/t.js', headers: { 'if-none-match': String(res.headers.etag) } });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    const changed = await h.request({ method: 'GET', url: '/t.js', headers: { 'if-none-match': '"something-else"' } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).toBe(res.headers.etag);
  });
});

describe('POST /v1/track/click', () => {
  it('records a click for a linkless visit like the redirect does, and answers its id and the cookie window', async () => {
    const res = await track('click', pk, {
      programId: program,
      code: link.code,
      landingUrl: `${SHOP}/boots?ref=${link.code}`,
      referrer: 'https://blog.example/best-shoes',
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ clickId: expect.stringMatching(/^clk_[0-9a-z]{26}$/), cookieDays: 45 });
    const event = (await streamEvents()).find((e) => e.id === res.body.clickId);
    expect(event).toEqual({
      v: 1,
      id: res.body.clickId,
      tenantId: expect.any(String),
      programId: program,
      affiliateId: bob.id,
      linkId: link.id,
      method: 'POST',
      ip: '203.0.113.9',
      userAgent: CHROME,
      referrer: 'https://blog.example/best-shoes',
      country: null,
      visitorId: null,
      subs: ['sidebar', null, null, null, null],
      landingUrl: `${SHOP}/boots?ref=${link.code}`,
      flags: [],
    });
  });

  it('takes a secret key too, and without a page URL records the link’s destination', async () => {
    const res = await track('click', sk, { programId: program, code: link.code }, {});
    expect(res.status).toBe(201);
    const event = (await streamEvents()).find((e) => e.id === res.body.clickId);
    expect(event).toMatchObject({ landingUrl: 'https://shoes.example/', referrer: null, linkId: link.id });
  });

  it('flags the click as the redirect would: a paused program still counts a click, marked', async () => {
    const paused = await createProgram(h, ownerToken, merchantId, { name: 'Paused' });
    await approvedEnrollment(h, ownerToken, paused, bob.token);
    const pausedLink = await createLink(h, bob.token, { programId: paused });
    await h.owner.query(`UPDATE programs SET status = 'paused' WHERE id = $1`, [paused]);
    const res = await track('click', pk, { programId: paused, code: pausedLink.code });
    expect(res.status).toBe(201);
    expect((await streamEvents()).find((e) => e.id === res.body.clickId)).toMatchObject({ flags: ['program_paused'] });
  });

  it('answers 404 for an unknown code, another program’s code, a disabled link, another merchant’s or network’s program, and records nothing', async () => {
    const disabled = await createLink(h, bob.token, { programId: program });
    const off = await h.request({ method: 'PATCH', url: `/v1/links/${disabled.id}`, token: bob.token, payload: { status: 'disabled' } });
    expect(off.status).toBe(200);
    const before = (await streamEvents()).length;
    const cases: [string, string, Record<string, unknown>][] = [
      ['unknown code', pk, { programId: program, code: 'nope-nope' }],
      ['code of another program', pk, { programId: program, code: bootsLink.code }],
      ['disabled link', pk, { programId: program, code: disabled.code }],
      ['program of another merchant', pk, { programId: bagsProgram, code: link.code }],
      ['own code, other merchant’s key', bagsPk, { programId: program, code: link.code }],
      ['program of another network', pk, { programId: otherProgram, code: otherLink.code }],
      ['code of another network', otherPk, { programId: otherProgram, code: link.code }],
      ['unknown program', pk, { programId: 'prg_00000000000000000000000000', code: link.code }],
    ];
    for (const [name, key, payload] of cases) {
      const res = await track('click', key, payload, {});
      expect(res.status, name).toBe(404);
      expectProblem(res, 404, 'not_found');
    }
    expect((await streamEvents()).length).toBe(before);
  });

  it('refuses bad bodies with 400 and records nothing', async () => {
    const before = (await streamEvents()).length;
    const cases: [string, unknown][] = [
      ['no code', { programId: program }],
      ['no program', { code: link.code }],
      ['code of the wrong type', { programId: program, code: 1234 }],
      ['code with a slash', { programId: program, code: '../admin' }],
      ['unknown field', { programId: program, code: link.code, affiliateId: bob.id }],
      ['landing URL that is no URL', { programId: program, code: link.code, landingUrl: 'shoes' }],
      ['javascript: landing URL', { programId: program, code: link.code, landingUrl: 'javascript:alert(1)' }],
      ['landing URL off the allowed domains', { programId: program, code: link.code, landingUrl: 'https://evil.example/' }],
      ['huge referrer', { programId: program, code: link.code, referrer: 'x'.repeat(5000) }],
      ['huge landing URL', { programId: program, code: link.code, landingUrl: `${SHOP}/?q=${'x'.repeat(5000)}` }],
    ];
    for (const [name, payload] of cases) {
      const res = await track('click', pk, payload);
      expect(res.status, name).toBe(400);
      expectProblem(res, 400, 'validation_failed');
    }
    const broken = await h.request({ method: 'POST', url: '/v1/track/click', token: pk, headers: { 'content-type': 'application/json' }, payload: '{"code":' });
    expectProblem(broken, 400, 'bad_request');
    expect((await streamEvents()).length).toBe(before);
  });

  it('refuses a page that is not on the program’s allowed domains (403), records nothing', async () => {
    const before = (await streamEvents()).length;
    for (const origin of ['https://evil.example', 'https://shoes.example.evil.example', 'https://evilshoes.example', 'null', 'chrome-extension://abc']) {
      const res = await track('click', pk, { programId: program, code: link.code }, { origin });
      expectProblem(res, 403, 'forbidden');
      expect(res.body.detail).toMatch(/allowed domains|not a web page/);
    }
    const refused = await track('click', pk, { programId: program, code: link.code }, { origin: 'https://evil.example' });
    expect(refused.body.detail).toContain('evil.example');
    expect((await streamEvents()).length).toBe(before);
    // The program's own domain and its subdomains are fine.
    for (const origin of ['https://shoes.example', 'http://checkout.shoes.example:8080']) {
      expect((await track('click', pk, { programId: program, code: link.code }, { origin })).status).toBe(201);
    }
  });

  it('needs a merchant key: none is 401, a signed-in user is 403', async () => {
    expectProblem(await track('click', undefined, { programId: program, code: link.code }), 401, 'unauthenticated');
    expectProblem(await track('click', ownerToken, { programId: program, code: link.code }), 403, 'forbidden');
  });
});

describe('POST /v1/track/lead', () => {
  it('stores a lead with source tracker and trust browser, the click id, hashed e-mail and IP', async () => {
    const clicked = await track('click', pk, { programId: program, code: link.code });
    const res = await track('lead', pk, { programId: program, externalId: 'signup-1', email: ' Jane@Example.com ', clickId: clicked.body.clickId });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^cnv_/), status: 'received' });
    const [row] = await conversionRows('signup-1');
    expect(row).toMatchObject({ id: res.body.id, type: 'lead', source: 'tracker', trust: 'browser', click_id: clicked.body.clickId, merchant_id: merchantId });
    expect(row.ip_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(row.ip_hash).not.toContain('203.0.113');
    const customer = (await h.owner.query('SELECT email, email_hash FROM customers WHERE id = $1', [row.customer_id])).rows[0];
    expect(customer.email).toBeNull();
    expect(customer.email_hash).toMatch(/^[0-9a-f]{64}$/);
    const outbox = await h.owner.query('SELECT topic FROM outbox WHERE payload->>$1 = $2', ['conversionId', res.body.id]);
    expect(outbox.rows).toEqual([{ topic: 'conversions.attribute' }]);
    // CORS: the page that sent it may read the answer, without credentials.
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('answers 200 with the same conversion for a repeated externalId, storing nothing new', async () => {
    const first = await track('lead', pk, { programId: program, externalId: 'signup-2' });
    const again = await track('lead', pk, { programId: program, externalId: 'signup-2', email: 'other@example.com' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(await conversionRows('signup-2')).toHaveLength(1);
  });

  it('refuses sales from the browser unless the program allows them', async () => {
    const refused = await track('lead', pk, { programId: program, type: 'sale', externalId: 'order-1', amount: 4999 });
    expectProblem(refused, 403, 'forbidden');
    expect(refused.body.detail).toMatch(/browser sales are off/);
    expect(await conversionRows('order-1')).toHaveLength(0);

    await h.owner.query('UPDATE programs SET browser_sales = true WHERE id = $1', [boots]);
    const sold = await track('lead', pk, { programId: boots, type: 'sale', externalId: 'order-1', amount: 4999, currency: 'EUR' });
    expect(sold.status).toBe(202);
    const [row] = await conversionRows('order-1');
    expect(row).toMatchObject({ program_id: boots, type: 'sale', amount: '4999', currency: 'EUR', source: 'tracker', trust: 'browser' });
    expectProblem(await track('lead', pk, { programId: boots, type: 'sale', externalId: 'order-2' }), 400, 'validation_failed');
  });

  it('refuses another site, another merchant’s or network’s program, bad bodies, and stores nothing', async () => {
    const before = await count(h, 'conversions');
    expectProblem(await track('lead', pk, { programId: program, externalId: 'x-1' }, { origin: 'https://evil.example' }), 403, 'forbidden');
    expectProblem(await track('lead', pk, { programId: bagsProgram, externalId: 'x-2' }), 404, 'not_found');
    expectProblem(await track('lead', otherPk, { programId: program, externalId: 'x-3' }), 404, 'not_found');
    expectProblem(await track('lead', ownerToken, { programId: program, externalId: 'x-4' }), 403, 'forbidden');
    const bad: [string, unknown][] = [
      ['no externalId', { programId: program }],
      ['empty externalId', { programId: program, externalId: '  ' }],
      ['bad e-mail', { programId: program, externalId: 'x-5', email: 'jane' }],
      ['bad click id', { programId: program, externalId: 'x-6', clickId: 'clk_../../x' }],
      ['unknown type', { programId: program, externalId: 'x-7', type: 'refund' }],
      ['amount as a string', { programId: boots, externalId: 'x-8', type: 'sale', amount: '10' }],
      ['fractional amount', { programId: boots, externalId: 'x-9', type: 'sale', amount: 10.5 }],
      ['negative amount', { programId: boots, externalId: 'x-10', type: 'sale', amount: -1 }],
      ['huge amount', { programId: boots, externalId: 'x-11', type: 'sale', amount: 1e15 }],
      ['lower-case currency', { programId: boots, externalId: 'x-12', type: 'sale', amount: 1, currency: 'eur' }],
      ['unknown field', { programId: program, externalId: 'x-13', customer: { email: 'a@b.example' } }],
    ];
    for (const [name, payload] of bad) {
      const res = await track('lead', pk, payload);
      expect(res.status, name).toBe(400);
    }
    expect(await count(h, 'conversions')).toBe(before);
  });

  it('leaves the secret-key endpoints closed to a publishable key', async () => {
    const res = await h.request({
      method: 'POST',
      url: '/v1/conversions',
      token: pk,
      payload: { programId: program, type: 'lead', externalId: 'via-api' },
    });
    expectProblem(res, 403, 'forbidden');
    expect(await conversionRows('via-api')).toHaveLength(0);
    expectProblem(await h.request({ method: 'GET', url: '/v1/conversions', token: pk }), 403, 'forbidden');
  });
});

describe('CORS', () => {
  it('answers a preflight to /v1/track/* from any origin, without credentials, for POST with authorization and content-type', async () => {
    for (const path of ['/v1/track/click', '/v1/track/lead']) {
      const res = await h.request({
        method: 'OPTIONS',
        url: path,
        headers: {
          origin: 'https://shop.anywhere.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://shop.anywhere.example');
      expect(res.headers['access-control-allow-methods']).toBe('POST');
      expect(String(res.headers['access-control-allow-headers']).split(/,\s*/).sort()).toEqual(['authorization', 'content-type']);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(String(res.headers.vary)).toMatch(/origin/i);
    }
  });

  it('keeps the rest of the API to the configured origins, with credentials', async () => {
    const preflight = (origin: string) =>
      h.request({
        method: 'OPTIONS',
        url: '/v1/programs',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const foreign = await preflight('https://shop.anywhere.example');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    const app = await preflight('http://localhost:5173');
    expect(app.status).toBe(204);
    expect(app.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(app.headers['access-control-allow-credentials']).toBe('true');
    const get = await h.request({ method: 'GET', url: '/healthz', headers: { origin: 'https://shop.anywhere.example' } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });
});
