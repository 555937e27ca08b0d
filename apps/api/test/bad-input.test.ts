import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkWithMerchant } from './builders';
import { count, createMerchant, expectProblem, type Harness, PASSWORD, type signUpNetwork, startHarness } from './harness';

// Every refused request must leave the database exactly as it was.

let h: Harness;
let net: Awaited<ReturnType<typeof signUpNetwork>>;
let merchantId: string;
const TABLES = ['tenants', 'users', 'memberships', 'merchants', 'affiliates', 'api_keys', 'auth_sessions', 'audit_log', 'outbox', 'domain_events'];

async function snapshot(): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(h, t)] as const)));
}

const validSignup = () => ({ network: { name: 'Nordic', slug: 'nordic2' }, owner: { name: 'Ada', email: 'ada@example.com', password: PASSWORD } });

beforeAll(async () => {
  h = await startHarness('badinput');
  ({ net, merchantId } = await networkWithMerchant(h, 'nordic'));
});
afterAll(() => h.close());

describe('sign-up refuses bad input and writes nothing', () => {
  const cases: [string, unknown, string][] = [
    ['unknown field tenantId at the top', { ...validSignup(), tenantId: 'ten_x' }, 'tenantId'],
    ['unknown field role on the owner', { ...validSignup(), owner: { ...validSignup().owner, role: 'admin' } }, 'role'],
    ['wrong type for the network', { ...validSignup(), network: 'nordic' }, 'network'],
    ['missing owner', { network: validSignup().network }, 'owner'],
    ['bad email', { ...validSignup(), owner: { ...validSignup().owner, email: 'not-an-email' } }, 'owner.email'],
    ['short password', { ...validSignup(), owner: { ...validSignup().owner, password: 'short' } }, 'owner.password'],
    ['oversize name', { ...validSignup(), network: { name: 'x'.repeat(5000), slug: 'big' } }, 'network.name'],
    ['slug with a slash', { ...validSignup(), network: { name: 'N', slug: '../admin' } }, 'network.slug'],
    ['lower-case currency', { ...validSignup(), network: { name: 'N', slug: 'cur', defaultCurrency: 'eur' } }, 'network.defaultCurrency'],
  ];
  for (const [name, payload, path] of cases) {
    it(name, async () => {
      const before = await snapshot();
      const res = await h.request({ method: 'POST', url: '/v1/auth/signup', payload: payload as object });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string; message: string }) => `${e.path} ${e.message}`).join('\n')).toContain(path);
      expect(await snapshot()).toEqual(before);
    });
  }

  it('refuses a body that is not JSON, and an unsupported content type', async () => {
    const before = await snapshot();
    const broken = await h.request({ method: 'POST', url: '/v1/auth/signup', headers: { 'content-type': 'application/json' }, payload: '{"network":' });
    expectProblem(broken, 400, 'bad_request');
    const xml = await h.request({ method: 'POST', url: '/v1/auth/signup', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expectProblem(xml, 415, 'unsupported_media_type');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const res = await h.request({ method: 'POST', url: '/v1/auth/signup', payload: { ...validSignup(), pad: 'x'.repeat(1_100_000) } });
    expectProblem(res, 413, 'payload_too_large');
  });
});

describe('other inputs', () => {
  it('merchant creation: extra fields, wrong types and a javascript: website are refused', async () => {
    const before = await snapshot();
    for (const payload of [
      { name: 'X', owner: { name: 'O', email: 'o@x.example', password: PASSWORD }, tenantId: 'ten_other' },
      { name: 42, owner: { name: 'O', email: 'o@x.example', password: PASSWORD } },
      { name: 'X', website: 'javascript:alert(1)', owner: { name: 'O', email: 'o@x.example', password: PASSWORD } },
      { name: 'X', defaultCurrency: 'EURO', owner: { name: 'O', email: 'o@x.example', password: PASSWORD } },
    ]) {
      expectProblem(await h.request({ method: 'POST', url: '/v1/merchants', token: net.token, payload }), 400, 'validation_failed');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('an empty update is refused', async () => {
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/merchants/${merchantId}`, token: net.token, payload: {} }), 400, 'validation_failed');
  });

  it('list limits are bounded and unknown query parameters refused', async () => {
    expectProblem(await h.request({ method: 'GET', url: '/v1/merchants?limit=100000', token: net.token }), 400, 'validation_failed');
    expectProblem(await h.request({ method: 'GET', url: '/v1/merchants?limit=-1', token: net.token }), 400, 'validation_failed');
    expectProblem(await h.request({ method: 'GET', url: '/v1/merchants?tenantId=x', token: net.token }), 400, 'validation_failed');
    expectProblem(await h.request({ method: 'GET', url: '/v1/merchants?cursor=garbage', token: net.token }), 400, 'bad_request');
  });

  it('an id of the wrong shape answers 404, not 500', async () => {
    expectProblem(await h.request({ method: 'GET', url: "/v1/merchants/'%20OR%201=1--", token: net.token }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: `/v1/merchants/${'x'.repeat(150)}`, token: net.token }), 404, 'not_found');
  });

  it('paginates with a cursor without repeating or skipping', async () => {
    for (let i = 0; i < 4; i++) await createMerchant(h, net.token, `Page ${i}`, `page${i}@m.example`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<Harness['request']>> = await h.request({
        method: 'GET',
        url: `/v1/merchants?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        token: net.token,
      });
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((m: { id: string }) => m.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(5);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort().reverse()).toEqual(seen);
  });
});
