import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createMerchant, expectProblem, type Harness, logIn, signUpNetwork, signUpPartner, startHarness } from './harness';

// Two networks on one platform: nothing of A is visible or changeable from B, and an id
// of A asked for from B answers 404 exactly like an id that does not exist.

let h: Harness;
let a: Awaited<ReturnType<typeof signUpNetwork>>;
let b: Awaited<ReturnType<typeof signUpNetwork>>;
let aMerchant: string;
let aAffiliate: string;
let aKey: { id: string; key: string };
let bMerchant: string;

beforeAll(async () => {
  h = await startHarness('isolation');
  a = await signUpNetwork(h, 'alpha');
  b = await signUpNetwork(h, 'beta');
  aMerchant = (await createMerchant(h, a.token, 'Alpha Shoes', 'm@alpha.example')).id;
  bMerchant = (await createMerchant(h, b.token, 'Beta Bags', 'm@beta.example')).id;
  aAffiliate = (await signUpPartner(h, 'alpha', 'aff@alpha.example')).affiliate.id;
  await signUpPartner(h, 'beta', 'aff@beta.example');
  aKey = await createApiKey(h, a.token, aMerchant);
});
afterAll(() => h.close());

describe('tenant isolation through the API', () => {
  it("answers 404 for A's merchant, affiliate and API key asked for by B", async () => {
    expectProblem(await h.request({ method: 'GET', url: `/v1/merchants/${aMerchant}`, token: b.token }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: `/v1/merchants/${aMerchant}/users`, token: b.token }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: `/v1/affiliates/${aAffiliate}`, token: b.token }), 404, 'not_found');
    expectProblem(await h.request({ method: 'POST', url: `/v1/api-keys/${aKey.id}/revoke`, token: b.token }), 404, 'not_found');
    // …and A sees its own.
    expect((await h.request({ method: 'GET', url: `/v1/merchants/${aMerchant}`, token: a.token })).status).toBe(200);
  });

  it("refuses to change A's rows from B and leaves them unchanged", async () => {
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/merchants/${aMerchant}`, token: b.token, payload: { name: 'Hijacked' } }), 404, 'not_found');
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/affiliates/${aAffiliate}`, token: b.token, payload: { status: 'suspended' } }),
      404,
      'not_found',
    );
    expectProblem(
      await h.request({ method: 'POST', url: '/v1/api-keys', token: b.token, payload: { merchantId: aMerchant, type: 'secret', name: 'x' } }),
      404,
      'not_found',
    );
    const { rows } = await h.owner.query(
      'SELECT m.name, a.status, k.revoked_at FROM merchants m, affiliates a, api_keys k WHERE m.id = $1 AND a.id = $2 AND k.id = $3',
      [aMerchant, aAffiliate, aKey.id],
    );
    expect(rows[0]).toEqual({ name: 'Alpha Shoes', status: 'active', revoked_at: null });
  });

  it("never lists A's rows to B", async () => {
    const merchants = await h.request({ method: 'GET', url: '/v1/merchants', token: b.token });
    expect(merchants.body.data.map((m: { id: string }) => m.id)).toEqual([bMerchant]);
    const affiliates = await h.request({ method: 'GET', url: '/v1/affiliates', token: b.token });
    expect(affiliates.body.data.map((x: { email: string }) => x.email)).toEqual(['aff@beta.example']);
    const keys = await h.request({ method: 'GET', url: '/v1/api-keys', token: b.token });
    expect(keys.body.data).toEqual([]);
    const audit = await h.request({ method: 'GET', url: '/v1/audit-log', token: b.token });
    expect(audit.body.data.length).toBeGreaterThan(0);
    expect(audit.body.data.some((e: { subjectId: string }) => [aMerchant, aAffiliate, aKey.id].includes(e.subjectId))).toBe(false);
  });

  it("an API key of A cannot reach B's merchant", async () => {
    expectProblem(await h.request({ method: 'GET', url: `/v1/merchants/${bMerchant}`, token: aKey.key }), 404, 'not_found');
  });

  it('a user of A cannot sign in to B with the same credentials', async () => {
    await logIn(h, 'alpha', 'm@alpha.example');
    const res = await h.request({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { network: 'beta', email: 'm@alpha.example', password: 'correct-horse-battery' },
    });
    expectProblem(res, 401, 'invalid_credentials');
  });
});
