import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMerchantUser, networkWithMerchant } from './builders';
import { createApiKey, createMerchant, expectProblem, type Harness, logIn, PASSWORD, type signUpNetwork, signUpPartner, startHarness } from './harness';

let h: Harness;
let net: Awaited<ReturnType<typeof signUpNetwork>>;
let shoes: string;
let bags: string;
let shoesOwner: string;
let analyst: string;
let bob: Awaited<ReturnType<typeof signUpPartner>>;
let eve: Awaited<ReturnType<typeof signUpPartner>>;

beforeAll(async () => {
  h = await startHarness('roles');
  ({ net, merchantId: shoes, merchantToken: shoesOwner } = await networkWithMerchant(h, 'roles'));
  bags = (await createMerchant(h, net.token, 'Bags', 'owner@bags.example')).id;
  analyst = await addMerchantUser(h, shoesOwner, shoes, 'roles', 'ann@shoes.example');
  bob = await signUpPartner(h, 'roles', 'bob@blog.example');
  eve = await signUpPartner(h, 'roles', 'eve@blog.example');
});
afterAll(() => h.close());

describe('affiliates', () => {
  it('cannot read merchants, their teams, keys, the affiliate list or the audit log', async () => {
    expectProblem(await h.request({ method: 'GET', url: '/v1/merchants', token: bob.accessToken }), 403, 'forbidden');
    expectProblem(await h.request({ method: 'GET', url: `/v1/merchants/${shoes}`, token: bob.accessToken }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: `/v1/merchants/${shoes}/users`, token: bob.accessToken }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: '/v1/api-keys', token: bob.accessToken }), 403, 'forbidden');
    expectProblem(await h.request({ method: 'GET', url: '/v1/affiliates', token: bob.accessToken }), 403, 'forbidden');
    expectProblem(await h.request({ method: 'GET', url: '/v1/audit-log', token: bob.accessToken }), 403, 'forbidden');
  });

  it('reads and edits only its own account, and cannot change its own status', async () => {
    expect((await h.request({ method: 'GET', url: `/v1/affiliates/${bob.affiliate.id}`, token: bob.accessToken })).status).toBe(200);
    expectProblem(await h.request({ method: 'GET', url: `/v1/affiliates/${eve.affiliate.id}`, token: bob.accessToken }), 404, 'not_found');
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/affiliates/${eve.affiliate.id}`, token: bob.accessToken, payload: { name: 'Eve?' } }),
      404,
      'not_found',
    );
    const renamed = await h.request({ method: 'PATCH', url: `/v1/affiliates/${bob.affiliate.id}`, token: bob.accessToken, payload: { name: 'Bob Blog' } });
    expect(renamed.body.name).toBe('Bob Blog');
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/affiliates/${bob.affiliate.id}`, token: bob.accessToken, payload: { status: 'active' } }),
      403,
      'forbidden',
    );
  });

  it('a suspended affiliate can no longer sign in or refresh', async () => {
    const suspended = await h.request({
      method: 'PATCH',
      url: `/v1/affiliates/${eve.affiliate.id}`,
      token: net.token,
      payload: { status: 'suspended', reason: 'fraud review' },
    });
    expect(suspended.body.status).toBe('suspended');
    expectProblem(
      await h.request({ method: 'POST', url: '/v1/auth/login', payload: { network: 'roles', email: 'eve@blog.example', password: PASSWORD } }),
      403,
      'account_suspended',
    );
    expectProblem(await h.request({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: eve.refreshToken } }), 403, 'account_suspended');
  });
});

describe('merchant members', () => {
  it('see their own merchant only', async () => {
    const list = await h.request({ method: 'GET', url: '/v1/merchants', token: shoesOwner });
    expect(list.body.data.map((m: { id: string }) => m.id)).toEqual([shoes]);
    expectProblem(await h.request({ method: 'GET', url: `/v1/merchants/${bags}`, token: shoesOwner }), 404, 'not_found');
  });

  it('an analyst reads but may not create keys, add users or edit the merchant', async () => {
    expect((await h.request({ method: 'GET', url: `/v1/merchants/${shoes}`, token: analyst })).status).toBe(200);
    expectProblem(
      await h.request({ method: 'POST', url: '/v1/api-keys', token: analyst, payload: { merchantId: shoes, type: 'secret', name: 'x' } }),
      403,
      'forbidden',
    );
    expectProblem(
      await h.request({
        method: 'POST',
        url: `/v1/merchants/${shoes}/users`,
        token: analyst,
        payload: { name: 'X', email: 'x@shoes.example', password: PASSWORD, role: 'admin' },
      }),
      403,
      'forbidden',
    );
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/merchants/${shoes}`, token: analyst, payload: { name: 'X' } }), 403, 'forbidden');
  });

  it('a merchant owner may not suspend its own merchant (network decision) and may not create merchants', async () => {
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/merchants/${shoes}`, token: shoesOwner, payload: { status: 'suspended' } }), 403, 'forbidden');
    expectProblem(
      await h.request({
        method: 'POST',
        url: '/v1/merchants',
        token: shoesOwner,
        payload: { name: 'Mine', owner: { name: 'X', email: 'x@x.example', password: PASSWORD } },
      }),
      403,
      'forbidden',
    );
  });

  it('keeps at least one owner', async () => {
    const team = await h.request({ method: 'GET', url: `/v1/merchants/${shoes}/users`, token: shoesOwner });
    const owner = team.body.data.find((u: { role: string }) => u.role === 'owner');
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/merchants/${shoes}/users/${owner.userId}`, token: shoesOwner, payload: { role: 'admin' } }),
      409,
      'invalid_state',
    );
    expectProblem(await h.request({ method: 'DELETE', url: `/v1/merchants/${shoes}/users/${owner.userId}`, token: shoesOwner }), 409, 'invalid_state');
  });

  it('role changes take effect at the next token refresh', async () => {
    const team = await h.request({ method: 'GET', url: `/v1/merchants/${shoes}/users`, token: shoesOwner });
    const ann = team.body.data.find((u: { email: string }) => u.email === 'ann@shoes.example');
    const changed = await h.request({ method: 'PATCH', url: `/v1/merchants/${shoes}/users/${ann.userId}`, token: shoesOwner, payload: { role: 'admin' } });
    expect(changed.body.role).toBe('admin');
    const login = await logIn(h, 'roles', 'ann@shoes.example');
    const key = await h.request({
      method: 'POST',
      url: '/v1/api-keys',
      token: login.accessToken,
      payload: { merchantId: shoes, type: 'secret', name: 'ok now' },
    });
    expect(key.status).toBe(201);
  });
});

describe('API keys as actors', () => {
  it('a publishable key cannot read merchant data; a secret key cannot mint keys', async () => {
    const pk = await createApiKey(h, net.token, shoes, 'publishable');
    expectProblem(await h.request({ method: 'GET', url: `/v1/merchants/${shoes}`, token: pk.key }), 404, 'not_found');
    const sk = await createApiKey(h, net.token, shoes, 'secret');
    expect((await h.request({ method: 'GET', url: `/v1/merchants/${shoes}`, token: sk.key })).status).toBe(200);
    expectProblem(
      await h.request({ method: 'POST', url: '/v1/api-keys', token: sk.key, payload: { merchantId: shoes, type: 'secret', name: 'x' } }),
      403,
      'forbidden',
    );
  });

  it("a suspended merchant's keys stop working", async () => {
    const sk = await createApiKey(h, net.token, bags, 'secret');
    await h.request({ method: 'PATCH', url: `/v1/merchants/${bags}`, token: net.token, payload: { status: 'suspended' } });
    expectProblem(await h.request({ method: 'GET', url: '/v1/me', token: sk.key }), 403, 'account_suspended');
  });
});

describe('network roles', () => {
  it('the audit log records who did what', async () => {
    const audit = await h.request({ method: 'GET', url: '/v1/audit-log?action=affiliate.updated', token: net.token });
    const entry = audit.body.data.find(
      (e: { subjectId: string; data: { status?: string } }) => e.subjectId === eve.affiliate.id && e.data.status === 'suspended',
    );
    expect(entry).toMatchObject({ actorType: 'user', actorId: net.userId, data: { reason: 'fraud review' } });
    expect(entry.requestId).toMatch(/\S/);
  });
});
