import { appDatabaseUrl } from '@app/config/env';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { withTenant } from '@app/db/with-tenant';
import { findActiveCoupon } from '@app/domain/coupons/find-active-coupon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMerchantUser, approvedEnrollment, createCoupon, createProgram, networkWithMerchant, partner } from './builders';
import { count, createMerchant, expectProblem, type Harness, logIn, signUpNetwork, startHarness } from './harness';

let h: Harness;
let prisma: PrismaClient;
let net: Awaited<ReturnType<typeof signUpNetwork>>;
let other: Awaited<ReturnType<typeof signUpNetwork>>;
let shoes: string;
let shoesOwner: string;
let bagsOwner: string;
let shoesProgram: string;
let shoesOutlet: string;
let bagsProgram: string;
let bob: { token: string; id: string };
let carol: { token: string; id: string };
let dave: { token: string; id: string };

const post = (token: string, payload: Record<string, unknown>) => h.request({ method: 'POST', url: '/v1/coupons', token, payload });
const active = (programId: string, code: string, at: string) => withTenant(prisma, net.tenantId, (tx) => findActiveCoupon(tx, programId, code, new Date(at)));

beforeAll(async () => {
  h = await startHarness('coupons');
  prisma = createPrisma({ url: appDatabaseUrl(h.config), poolSize: 2 });
  ({ net, merchantId: shoes, merchantToken: shoesOwner } = await networkWithMerchant(h, 'coupons'));
  other = await signUpNetwork(h, 'coupons-other');
  const bags = (await createMerchant(h, net.token, 'Bags', 'owner@bags.example')).id;
  bagsOwner = (await logIn(h, 'coupons', 'owner@bags.example')).accessToken;
  shoesProgram = await createProgram(h, shoesOwner, shoes);
  shoesOutlet = await createProgram(h, shoesOwner, shoes, { name: 'Outlet' });
  bagsProgram = await createProgram(h, bagsOwner, bags, { landingUrl: 'https://bags.example/', allowedDomains: ['bags.example'] });
  bob = await partner(h, 'coupons', 'bob@blog.example');
  carol = await partner(h, 'coupons', 'carol@blog.example');
  dave = await partner(h, 'coupons', 'dave@blog.example');
  await approvedEnrollment(h, shoesOwner, shoesProgram, bob.token);
  await approvedEnrollment(h, shoesOwner, shoesOutlet, bob.token);
  await approvedEnrollment(h, bagsOwner, bagsProgram, bob.token);
  await approvedEnrollment(h, shoesOwner, shoesProgram, carol.token);
  // Dave applies and is left pending.
  const daveApplied = await h.request({ method: 'POST', url: `/v1/programs/${shoesProgram}/enrollments`, token: dave.token, payload: {} });
  if (daveApplied.body.status !== 'pending') throw new Error(`dave's application: ${daveApplied.status} ${JSON.stringify(daveApplied.body)}`);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await h?.close();
});

describe('merchant-issued coupons', () => {
  it('are active at once, stored as typed and matched in any case', async () => {
    const res = await post(shoesOwner, { programId: shoesProgram, affiliateId: bob.id, code: 'Summer10' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ programId: shoesProgram, affiliateId: bob.id, code: 'Summer10', status: 'active', validFrom: null, validUntil: null });
    expect(res.body.createdByUserId).toEqual(expect.any(String));
    const row = await h.owner.query('SELECT code, code_normalized FROM coupons WHERE id = $1', [res.body.id]);
    expect(row.rows[0]).toEqual({ code: 'Summer10', code_normalized: 'SUMMER10' });
    expect((await active(shoesProgram, 'sUMMER10', '2020-01-01T00:00:00Z'))?.id).toBe(res.body.id);
    expectProblem(await post(shoesOwner, { programId: shoesProgram, affiliateId: carol.id, code: 'SUMMER10' }), 409, 'already_exists');
  });

  it('20 concurrent creations of one code in different cases: one wins, 19 get 409, one row', async () => {
    const variants = Array.from({ length: 20 }, (_, i) => [...'winter25'].map((ch, j) => (/[a-z]/.test(ch) && (i >> j) & 1 ? ch.toUpperCase() : ch)).join(''));
    expect(new Set(variants).size).toBe(20);
    const results = await Promise.all(variants.map((code, i) => post(shoesOwner, { programId: shoesProgram, affiliateId: i % 2 ? bob.id : carol.id, code })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(19).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'already_exists');
    const { rows } = await h.owner.query('SELECT count(*) AS n FROM coupons WHERE program_id = $1 AND code_normalized = $2', [shoesProgram, 'WINTER25']);
    expect(Number(rows[0].n)).toBe(1);
  });

  it('the same code may live in another program', async () => {
    expect((await post(shoesOwner, { programId: shoesOutlet, affiliateId: bob.id, code: 'WINTER25' })).status).toBe(201);
    expect((await post(bagsOwner, { programId: bagsProgram, affiliateId: bob.id, code: 'winter25' })).status).toBe(201);
  });

  it('refuses bad codes, bad windows, missing or unenrolled affiliates, writing nothing', async () => {
    const before = await count(h, 'coupons');
    const bad: [Record<string, unknown>, string][] = [
      [{ code: 'A' }, 'code'],
      [{ code: 'x'.repeat(65) }, 'code'],
      [{ code: 'two words' }, 'code'],
      [{ code: 'ÄPFEL' }, 'code'],
      [{ code: 'semi;colon' }, 'code'],
      [{ code: 'OK10', validFrom: '2030-02-01T00:00:00Z', validUntil: '2030-02-01T00:00:00Z' }, 'validUntil'],
      [{ code: 'OK10', validFrom: '2030-02-01T00:00:00Z', validUntil: '2030-01-01T00:00:00Z' }, 'validUntil'],
      [{ code: 'OK10', validFrom: 'next tuesday' }, 'validFrom'],
      [{ code: 'OK10', affiliateId: undefined }, 'affiliateId'],
    ];
    for (const [extra, path] of bad) {
      const res = await post(shoesOwner, { programId: shoesProgram, affiliateId: bob.id, ...extra });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expectProblem(await post(shoesOwner, { programId: shoesProgram, affiliateId: dave.id, code: 'DAVE10' }), 409, 'invalid_state');
    expectProblem(await post(shoesOwner, { programId: shoesOutlet, affiliateId: carol.id, code: 'CAROL10' }), 409, 'invalid_state');
    expectProblem(await post(shoesOwner, { programId: shoesProgram, affiliateId: 'aff_01jd5v0000000000000000000', code: 'NOBODY' }), 404, 'not_found');
    expectProblem(await post(bagsOwner, { programId: shoesProgram, affiliateId: bob.id, code: 'BAGS10' }), 404, 'not_found');
    expect(await count(h, 'coupons')).toBe(before);
  });
});

describe('validity', () => {
  it('findActiveCoupon honours validFrom (inclusive), validUntil (exclusive), status and program', async () => {
    const res = await post(shoesOwner, {
      programId: shoesProgram,
      affiliateId: bob.id,
      code: 'January30',
      validFrom: '2030-01-01T00:00:00Z',
      validUntil: '2030-02-01T00:00:00Z',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ validFrom: '2030-01-01T00:00:00.000Z', validUntil: '2030-02-01T00:00:00.000Z' });
    expect(await active(shoesProgram, 'JANUARY30', '2029-12-31T23:59:59.999Z')).toBeNull();
    expect((await active(shoesProgram, 'JANUARY30', '2030-01-01T00:00:00Z'))?.id).toBe(res.body.id);
    expect((await active(shoesProgram, 'january30', '2030-01-31T23:59:59Z'))?.id).toBe(res.body.id);
    expect(await active(shoesProgram, 'JANUARY30', '2030-02-01T00:00:00Z')).toBeNull();
    expect(await active(shoesOutlet, 'JANUARY30', '2030-01-15T00:00:00Z')).toBeNull();
    expect(await active(shoesProgram, 'JANUARY3', '2030-01-15T00:00:00Z')).toBeNull();

    const patch = (payload: Record<string, unknown>) => h.request({ method: 'PATCH', url: `/v1/coupons/${res.body.id}`, token: shoesOwner, payload });
    expect((await patch({ status: 'disabled' })).body.status).toBe('disabled');
    expect(await active(shoesProgram, 'JANUARY30', '2030-01-15T00:00:00Z')).toBeNull();
    expect((await patch({ status: 'active', validUntil: null })).body).toMatchObject({ status: 'active', validUntil: null });
    expect((await active(shoesProgram, 'JANUARY30', '2099-01-01T00:00:00Z'))?.id).toBe(res.body.id);

    expectProblem(await patch({ validUntil: '2029-06-01T00:00:00Z' }), 400, 'validation_failed');
    expectProblem(await patch({ status: 'requested' }), 400, 'validation_failed');
    const row = await h.owner.query('SELECT valid_until, status FROM coupons WHERE id = $1', [res.body.id]);
    expect(row.rows[0]).toEqual({ valid_until: null, status: 'active' });
  });
});

describe('affiliate requests', () => {
  it('an affiliate asks for a code; it is inactive until the merchant approves it', async () => {
    const req = await post(bob.token, { programId: shoesProgram, code: 'BobRuns' });
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ status: 'requested', affiliateId: bob.id, code: 'BobRuns' });
    expect(await active(shoesProgram, 'BOBRUNS', '2030-01-01T00:00:00Z')).toBeNull();

    const approve = (token: string) => h.request({ method: 'POST', url: `/v1/coupons/${req.body.id}/approve`, token });
    expectProblem(await approve(bob.token), 403, 'forbidden');
    expectProblem(await approve(carol.token), 404, 'not_found');
    expectProblem(await approve(bagsOwner), 404, 'not_found');
    expectProblem(await approve(other.token), 404, 'not_found');
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/coupons/${req.body.id}`, token: shoesOwner, payload: { status: 'active' } }),
      409,
      'invalid_state',
    );
    expect(await active(shoesProgram, 'BOBRUNS', '2030-01-01T00:00:00Z')).toBeNull();

    const ok = await approve(shoesOwner);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('active');
    expect((await active(shoesProgram, 'bobruns', '2030-01-01T00:00:00Z'))?.id).toBe(req.body.id);
    expectProblem(await approve(shoesOwner), 409, 'invalid_state');
  });

  it('the merchant may reject a request; a rejected code cannot be switched on', async () => {
    const req = await post(carol.token, { programId: shoesProgram, code: 'carol-50' });
    const rejected = await h.request({ method: 'POST', url: `/v1/coupons/${req.body.id}/reject`, token: shoesOwner, payload: { reason: 'too generous' } });
    expect(rejected.body.status).toBe('rejected');
    expectProblem(await h.request({ method: 'POST', url: `/v1/coupons/${req.body.id}/approve`, token: shoesOwner }), 409, 'invalid_state');
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/coupons/${req.body.id}`, token: shoesOwner, payload: { status: 'active' } }),
      409,
      'invalid_state',
    );
    expect(await active(shoesProgram, 'CAROL-50', '2030-01-01T00:00:00Z')).toBeNull();
    const audit = await h.owner.query("SELECT data FROM audit_log WHERE subject_id = $1 AND action = 'coupon.rejected'", [req.body.id]);
    expect(audit.rows[0].data.reason).toBe('too generous');
    const second = await post(carol.token, { programId: shoesProgram, code: 'carol-60' });
    expect((await h.request({ method: 'POST', url: `/v1/coupons/${second.body.id}/reject`, token: shoesOwner })).body.status).toBe('rejected');
  });

  it('an affiliate can neither create an active coupon nor one for another affiliate, nor without an approved enrollment', async () => {
    const before = await count(h, 'coupons');
    expectProblem(await post(bob.token, { programId: shoesProgram, code: 'FREE100', status: 'active' }), 400, 'validation_failed');
    expectProblem(await post(bob.token, { programId: shoesProgram, code: 'FREE100', affiliateId: carol.id }), 403, 'forbidden');
    const pending = await post(dave.token, { programId: shoesProgram, code: 'DAVE10' });
    expectProblem(pending, 409, 'invalid_state');
    expect(pending.body.detail).toMatch(/pending/);
    expectProblem(await post(carol.token, { programId: bagsProgram, code: 'CAROL10' }), 409, 'invalid_state');
    const hidden = await createProgram(h, shoesOwner, shoes, { visibility: 'private' });
    expectProblem(await post(carol.token, { programId: hidden, code: 'CAROL10' }), 404, 'not_found');
    expectProblem(await post(bob.token, { programId: shoesProgram, code: 'summer10' }), 409, 'already_exists');
    expect(await count(h, 'coupons')).toBe(before);
    const own = await post(bob.token, { programId: shoesProgram, code: 'BOB-OWN', affiliateId: bob.id });
    expect(own.body.status).toBe('requested');
  });
});

describe('who sees and changes coupons', () => {
  it('affiliates see their own, merchants their programs’, other networks nothing', async () => {
    const mine = await createCoupon(h, shoesOwner, { programId: shoesProgram, affiliateId: bob.id, code: 'BOBONLY' });
    const bagsCoupon = await createCoupon(h, bagsOwner, { programId: bagsProgram, affiliateId: bob.id, code: 'BAGSONLY' });
    const get = (id: string, token: string) => h.request({ method: 'GET', url: `/v1/coupons/${id}`, token });

    expect((await get(mine.id, bob.token)).body.code).toBe('BOBONLY');
    expect((await get(mine.id, shoesOwner)).body.code).toBe('BOBONLY');
    expect((await get(mine.id, net.token)).body.code).toBe('BOBONLY');
    for (const token of [carol.token, bagsOwner, other.token]) expectProblem(await get(mine.id, token), 404, 'not_found');
    for (const token of [carol.token, bagsOwner, other.token]) {
      expectProblem(await h.request({ method: 'PATCH', url: `/v1/coupons/${mine.id}`, token, payload: { status: 'disabled' } }), 404, 'not_found');
    }
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/coupons/${mine.id}`, token: bob.token, payload: { status: 'disabled' } }), 403, 'forbidden');
    expect((await h.owner.query('SELECT status FROM coupons WHERE id = $1', [mine.id])).rows[0].status).toBe('active');

    const carolList = (await h.request({ method: 'GET', url: '/v1/coupons?limit=500', token: carol.token })).body.data;
    expect(carolList.length).toBeGreaterThan(0);
    expect(carolList.every((c: { affiliateId: string }) => c.affiliateId === carol.id)).toBe(true);
    expect((await h.request({ method: 'GET', url: `/v1/coupons?affiliateId=${bob.id}`, token: carol.token })).body.data).toEqual([]);

    const shoesList = (await h.request({ method: 'GET', url: '/v1/coupons?limit=500', token: shoesOwner })).body.data;
    const ids = shoesList.map((c: { id: string }) => c.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(bagsCoupon.id);
    expect(shoesList.every((c: { programId: string }) => c.programId !== bagsProgram)).toBe(true);
    const requested = (await h.request({ method: 'GET', url: `/v1/coupons?status=requested&programId=${shoesProgram}`, token: shoesOwner })).body.data;
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.every((c: { status: string; programId: string }) => c.status === 'requested' && c.programId === shoesProgram)).toBe(true);

    const staff = (await h.request({ method: 'GET', url: '/v1/coupons?limit=500', token: net.token })).body.data.map((c: { id: string }) => c.id);
    expect(staff).toEqual(expect.arrayContaining([mine.id, bagsCoupon.id]));
    expect((await h.request({ method: 'GET', url: '/v1/coupons', token: other.token })).body.data).toEqual([]);
  });

  it('a merchant analyst reads coupons but cannot issue or change them', async () => {
    const analyst = await addMerchantUser(h, shoesOwner, shoes, 'coupons', 'ann@shoes.example');
    const coupon = await createCoupon(h, shoesOwner, { programId: shoesProgram, affiliateId: carol.id, code: 'ANALYSE' });
    expect((await h.request({ method: 'GET', url: `/v1/coupons/${coupon.id}`, token: analyst })).status).toBe(200);
    expectProblem(await post(analyst, { programId: shoesProgram, affiliateId: carol.id, code: 'ANALYST2' }), 403, 'forbidden');
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/coupons/${coupon.id}`, token: analyst, payload: { status: 'disabled' } }), 403, 'forbidden');
  });
});
