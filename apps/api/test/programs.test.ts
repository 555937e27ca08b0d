import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMerchantUser, createProgram, networkWithMerchant, programPayload } from './builders';
import { count, createMerchant, expectProblem, type Harness, logIn, signUpNetwork, signUpPartner, startHarness } from './harness';

let h: Harness;
let net: Awaited<ReturnType<typeof signUpNetwork>>;
let other: Awaited<ReturnType<typeof signUpNetwork>>;
let shoes: string;
let bags: string;
let shoesOwner: string;
let bagsOwner: string;
let affiliate: string;

// Every setting spelled out, on top of the shared defaults.
const SETTINGS = { cookieDays: 30, attributionModel: 'last_click', enrollmentMode: 'manual', approvalMode: 'manual', holdDays: 14 };
const program = (merchantId: string, extra: Record<string, unknown> = {}) => programPayload(merchantId, { ...SETTINGS, ...extra });

beforeAll(async () => {
  h = await startHarness('programs');
  ({ net, merchantId: shoes, merchantToken: shoesOwner } = await networkWithMerchant(h, 'progs'));
  other = await signUpNetwork(h, 'elsewhere');
  bags = (await createMerchant(h, net.token, 'Bags', 'owner@bags.example')).id;
  bagsOwner = (await logIn(h, 'progs', 'owner@bags.example')).accessToken;
  affiliate = (await signUpPartner(h, 'progs', 'bob@blog.example')).accessToken;
});
afterAll(() => h.close());

describe('programs', () => {
  it('a merchant opens a program; its plan is version 1 and in force', async () => {
    const res = await h.request({ method: 'POST', url: '/v1/programs', token: shoesOwner, payload: program(shoes) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      merchantId: shoes,
      trackingParam: 'aff_click_id',
      allowedDomains: ['shoes.example'],
      status: 'active',
      plan: { version: 1, plan: { sale: { percentBps: 1000 } } },
      upcomingPlan: null,
    });
    const got = await h.request({ method: 'GET', url: `/v1/programs/${res.body.id}`, token: net.token });
    expect(got.body.name).toBe('Shoes 10%');
  });

  it('defaults: draft, 30-day cookie, last click, the merchant currency, normalised domains', async () => {
    const res = await h.request({
      method: 'POST',
      url: '/v1/programs',
      token: shoesOwner,
      payload: {
        merchantId: shoes,
        name: 'Minimal',
        landingUrl: 'https://WWW.Shoes.example/start',
        allowedDomains: ['Shoes.Example', 'https://shoes.example/'],
        plan: { lead: { flat: 500 } },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'draft',
      cookieDays: 30,
      attributionModel: 'last_click',
      currency: 'EUR',
      allowedDomains: ['shoes.example'],
      landingUrl: 'https://www.shoes.example/start',
    });
  });

  it('refuses a landing URL outside the allowed domains, bad domains, and bad plans, writing nothing', async () => {
    const before = await count(h, 'programs');
    const bad = [
      [{ landingUrl: 'https://evil.example/' }, 'landingUrl'],
      [{ allowedDomains: ['shoes.example', 'not a domain'] }, 'allowedDomains.1'],
      [{ allowedDomains: [] }, 'allowedDomains'],
      [{ plan: { sale: { percentBps: 12000 } } }, 'plan.sale.percentBps'],
      [{ plan: {} }, 'plan'],
      [{ cookieDays: 0 }, 'cookieDays'],
      [{ cookieDays: 366 }, 'cookieDays'],
      [{ trackingParam: 'a b' }, 'trackingParam'],
      [{ fallbackUrl: 'javascript:alert(1)' }, 'fallbackUrl'],
      [{ tenantId: 'ten_x' }, 'body'],
      [{ status: 'archived' }, 'status'],
    ] as const;
    for (const [extra, path] of bad) {
      const res = await h.request({ method: 'POST', url: '/v1/programs', token: shoesOwner, payload: program(shoes, extra) });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect(await count(h, 'programs')).toBe(before);
  });

  it('status moves draft → active ⇄ paused → archived and nowhere else', async () => {
    const id = await createProgram(h, shoesOwner, shoes, { ...SETTINGS, status: 'draft' });
    const move = (status: string) => h.request({ method: 'PATCH', url: `/v1/programs/${id}`, token: shoesOwner, payload: { status } });
    expectProblem(await move('paused'), 409, 'invalid_state');
    expect((await move('active')).body.status).toBe('active');
    expectProblem(await move('draft'), 409, 'invalid_state');
    expect((await move('paused')).body.status).toBe('paused');
    expect((await move('active')).body.status).toBe('active');
    expect((await move('archived')).body.status).toBe('archived');
    expectProblem(await move('active'), 409, 'invalid_state');
  });

  it('editing URLs re-checks them against the allowed domains', async () => {
    const id = await createProgram(h, shoesOwner, shoes, SETTINGS);
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/programs/${id}`, token: shoesOwner, payload: { allowedDomains: ['boots.example'] } }),
      400,
      'validation_failed',
    );
    const ok = await h.request({
      method: 'PATCH',
      url: `/v1/programs/${id}`,
      token: shoesOwner,
      payload: { allowedDomains: ['boots.example'], landingUrl: 'https://boots.example/' },
    });
    expect(ok.body).toMatchObject({ allowedDomains: ['boots.example'], landingUrl: 'https://boots.example/' });
  });
});

describe('plan versions', () => {
  it('a change adds a version from its date; the old one stays in force until then', async () => {
    const id = await createProgram(h, shoesOwner, shoes, SETTINGS);
    const later = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const v2 = await h.request({
      method: 'POST',
      url: `/v1/programs/${id}/plan-versions`,
      token: shoesOwner,
      payload: { plan: { sale: { percentBps: 1500 } }, effectiveFrom: later },
    });
    expect(v2.status).toBe(201);
    expect(v2.body.version).toBe(2);
    const now = await h.request({ method: 'GET', url: `/v1/programs/${id}`, token: shoesOwner });
    expect(now.body.plan).toMatchObject({ version: 1, plan: { sale: { percentBps: 1000 } } });
    expect(now.body.upcomingPlan).toMatchObject({ version: 2, plan: { sale: { percentBps: 1500 } } });
    const v3 = await h.request({
      method: 'POST',
      url: `/v1/programs/${id}/plan-versions`,
      token: shoesOwner,
      payload: { plan: { lead: { flat: 300 }, sale: { percentBps: 1200 } } },
    });
    expect(v3.body.version).toBe(3);
    const after = await h.request({ method: 'GET', url: `/v1/programs/${id}`, token: shoesOwner });
    expect(after.body.plan.version).toBe(3);
    const list = await h.request({ method: 'GET', url: `/v1/programs/${id}/plan-versions`, token: shoesOwner });
    expect(list.body.data.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
  });

  it('refuses a past effective date and versions are append-only in the database', async () => {
    const id = await createProgram(h, shoesOwner, shoes, SETTINGS);
    const past = new Date(Date.now() - 86_400_000).toISOString();
    expectProblem(
      await h.request({
        method: 'POST',
        url: `/v1/programs/${id}/plan-versions`,
        token: shoesOwner,
        payload: { plan: { sale: { flat: 100 } }, effectiveFrom: past },
      }),
      400,
      'validation_failed',
    );
    await expect(h.owner.query('UPDATE program_plan_versions SET plan = $1 WHERE program_id = $2', ['{}', id])).rejects.toThrow(/append-only/);
  });

  it('concurrent plan changes get distinct version numbers', async () => {
    const id = await createProgram(h, shoesOwner, shoes, SETTINGS);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        h.request({
          method: 'POST',
          url: `/v1/programs/${id}/plan-versions`,
          token: shoesOwner,
          payload: { plan: { sale: { percentBps: 100 * (i + 1) } } },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(results.map((r) => r.body.version).sort()).toEqual([2, 3, 4, 5, 6, 7]);
  });
});

describe('groups', () => {
  it('a group overrides plan keys; an override that leaves a plan paying nothing is refused', async () => {
    const id = await createProgram(h, shoesOwner, shoes, SETTINGS);
    const gold = await h.request({
      method: 'POST',
      url: `/v1/programs/${id}/groups`,
      token: shoesOwner,
      payload: { name: 'Gold', planOverride: { sale: { percentBps: 1500 } } },
    });
    expect(gold.status).toBe(201);
    expectProblem(
      await h.request({ method: 'POST', url: `/v1/programs/${id}/groups`, token: shoesOwner, payload: { name: 'Gold', planOverride: {} } }),
      409,
      'already_exists',
    );
    const nothing = await h.request({
      method: 'POST',
      url: `/v1/programs/${id}/groups`,
      token: shoesOwner,
      payload: { name: 'Nothing', planOverride: { sale: null } },
    });
    expectProblem(nothing, 400, 'validation_failed');
    const renamed = await h.request({ method: 'PATCH', url: `/v1/programs/${id}/groups/${gold.body.id}`, token: shoesOwner, payload: { name: 'Platinum' } });
    expect(renamed.body).toMatchObject({ name: 'Platinum', planOverride: { sale: { percentBps: 1500 } } });
    const list = await h.request({ method: 'GET', url: `/v1/programs/${id}/groups`, token: shoesOwner });
    expect(list.body.data.map((g: { name: string }) => g.name)).toEqual(['Platinum']);
  });
});

describe('who may touch programs', () => {
  it("another merchant, an affiliate and another network cannot see or change a merchant's program", async () => {
    const id = await createProgram(h, shoesOwner, shoes, SETTINGS);
    for (const token of [bagsOwner, affiliate, other.token]) {
      expectProblem(await h.request({ method: 'GET', url: `/v1/programs/${id}`, token }), 404, 'not_found');
      expectProblem(await h.request({ method: 'PATCH', url: `/v1/programs/${id}`, token, payload: { name: 'Mine now' } }), 404, 'not_found');
      expectProblem(
        await h.request({ method: 'POST', url: `/v1/programs/${id}/plan-versions`, token, payload: { plan: { sale: { flat: 1 } } } }),
        404,
        'not_found',
      );
    }
    expectProblem(await h.request({ method: 'POST', url: '/v1/programs', token: bagsOwner, payload: program(shoes) }), 404, 'not_found');
    const mine = await h.request({ method: 'GET', url: '/v1/programs', token: bagsOwner });
    expect(mine.body.data.every((p: { merchantId: string }) => p.merchantId === bags)).toBe(true);
    expectProblem(await h.request({ method: 'GET', url: '/v1/programs', token: affiliate }), 403, 'forbidden');
    const row = await h.owner.query('SELECT name FROM programs WHERE id = $1', [id]);
    expect(row.rows[0].name).toBe('Shoes 10%');
  });

  it('a merchant analyst reads but cannot edit', async () => {
    const analyst = await addMerchantUser(h, shoesOwner, shoes, 'progs', 'ann@shoes.example');
    const id = await createProgram(h, shoesOwner, shoes, SETTINGS);
    expect((await h.request({ method: 'GET', url: `/v1/programs/${id}`, token: analyst })).status).toBe(200);
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/programs/${id}`, token: analyst, payload: { name: 'x' } }), 403, 'forbidden');
  });
});
