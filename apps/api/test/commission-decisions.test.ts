import { createPrisma, type PrismaClient } from '@app/db/client';
import { insertConversion, type ProgramNetwork, topUp } from '@app/domain/commissions/accrual-fixtures';
import { accrueConversion } from '@app/domain/commissions/accrue-conversion';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMerchantUser, approvedEnrollment, createProgram, networkWithMerchant, partner } from './builders';
import { createApiKey, expectProblem, type Harness, startHarness } from './harness';

/**
 * POST /v1/commissions/approve and /reject through the API: by ids, by conversion
 * externalIds, by CSV upload; the affiliate sees a rejection's reason; bad input and
 * actors without the role change nothing. Commissions are accrued by the accrual job's
 * own use case against the same database.
 */

let h: Harness;
let prisma: PrismaClient;
let net: ProgramNetwork;
let merchantToken: string;
let secretKey: string;
let publishableKey: string;
let analystToken: string;
let affiliateToken: string;
let otherCommission: string;

async function accrued(n: ProgramNetwork): Promise<{ id: string; externalId: string }> {
  const conversionId = await insertConversion(h.owner, n);
  const outcome = await accrueConversion(prisma, n.tenantId, conversionId);
  const { rows } = await h.owner.query('SELECT external_id FROM conversions WHERE id = $1', [conversionId]);
  return { id: outcome.commissions.find((c) => c.kind === 'primary')!.id, externalId: rows[0].external_id };
}

async function statusOf(id: string): Promise<{ status: string; reason: string | null }> {
  return (await h.owner.query('SELECT status, reason FROM commissions WHERE id = $1', [id])).rows[0];
}

async function programNetwork(slug: string): Promise<{ n: ProgramNetwork; merchantToken: string; netToken: string; affiliateToken: string }> {
  const { net: network, merchantId, merchantToken: mt } = await networkWithMerchant(h, slug);
  const programId = await createProgram(h, mt, merchantId, { approvalMode: 'manual', plan: { sale: { percentBps: 1000 } } });
  const aff = await partner(h, slug, `bob@${slug}.example`);
  await approvedEnrollment(h, mt, programId, aff.token);
  const n = { tenantId: network.tenantId, merchantId, programId, versions: [], parentId: '', affiliateIds: [aff.id], groupId: '' };
  await topUp(prisma, n, 1_000_000n);
  return { n, merchantToken: mt, netToken: network.token, affiliateToken: aff.token };
}

beforeAll(async () => {
  h = await startHarness('commission_decisions');
  prisma = createPrisma({ url: h.db.appUrl, poolSize: 5 });
  const main = await programNetwork('decisions');
  net = main.n;
  merchantToken = main.merchantToken;
  affiliateToken = main.affiliateToken;
  secretKey = (await createApiKey(h, merchantToken, net.merchantId, 'secret')).key;
  publishableKey = (await createApiKey(h, merchantToken, net.merchantId, 'publishable')).key;
  analystToken = await addMerchantUser(h, merchantToken, net.merchantId, 'decisions', 'analyst@shoes.example', 'analyst');
  const other = await programNetwork('decisions-other');
  otherCommission = (await accrued(other.n)).id;
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await h?.close();
});

describe('approve', () => {
  it('by ids (merchant owner), with per-item results', async () => {
    const c = await accrued(net);
    const res = await h.request({ method: 'POST', url: '/v1/commissions/approve', token: merchantToken, payload: { ids: [c.id, 'com_nope'] } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      { id: c.id, conversionId: expect.any(String), externalId: null, result: 'approved', status: 'approved' },
      { id: 'com_nope', conversionId: null, externalId: null, result: 'not_found', status: null },
    ]);
    expect((await statusOf(c.id)).status).toBe('approved');
  });

  it('by conversion externalIds with the secret key', async () => {
    const c = await accrued(net);
    const res = await h.request({
      method: 'POST',
      url: '/v1/commissions/approve',
      token: secretKey,
      payload: { programId: net.programId, externalIds: [c.externalId] },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject([{ id: c.id, externalId: c.externalId, result: 'approved' }]);
  });

  it('by CSV upload', async () => {
    const a = await accrued(net);
    const b = await accrued(net);
    const res = await h.request({
      method: 'POST',
      url: `/v1/commissions/approve?programId=${net.programId}`,
      token: merchantToken,
      headers: { 'content-type': 'text/csv' },
      payload: `externalId,note\n${a.externalId},x\n"${b.externalId}",y\n`,
    });
    expect(res.status).toBe(200);
    expect(res.body.data.map((d: { id: string; result: string }) => [d.id, d.result])).toEqual([
      [a.id, 'approved'],
      [b.id, 'approved'],
    ]);
    const bad = await h.request({
      method: 'POST',
      url: '/v1/commissions/approve',
      token: merchantToken,
      headers: { 'content-type': 'text/csv' },
      payload: 'order\nx\n',
    });
    expectProblem(bad, 400, 'validation_failed');
  });
});

describe('reject', () => {
  it('needs a reason, which the affiliate then sees', async () => {
    const c = await accrued(net);
    expectProblem(await h.request({ method: 'POST', url: '/v1/commissions/reject', token: merchantToken, payload: { ids: [c.id] } }), 400, 'validation_failed');
    const res = await h.request({ method: 'POST', url: '/v1/commissions/reject', token: merchantToken, payload: { ids: [c.id], reason: 'test order' } });
    expect(res.status).toBe(200);
    expect(res.body.data[0]).toMatchObject({ result: 'rejected', status: 'rejected' });
    expect(await statusOf(c.id)).toEqual({ status: 'rejected', reason: 'test order' });
    const seen = await h.request({ method: 'GET', url: `/v1/commissions/${c.id}`, token: affiliateToken });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ id: c.id, status: 'rejected', reason: 'test order' });
    const approve = await h.request({ method: 'POST', url: '/v1/commissions/approve', token: merchantToken, payload: { ids: [c.id] } });
    expect(approve.body.data[0]).toMatchObject({ result: 'not_pending', status: 'rejected' });
  });
});

describe('bad input and access', () => {
  it('refuses empty, oversized, extra-field and wrongly typed selections, and changes nothing', async () => {
    const c = await accrued(net);
    for (const payload of [
      { ids: [] },
      { ids: Array.from({ length: 1001 }, (_, i) => `com_${i}`) },
      { ids: [c.id], extra: true },
      { ids: c.id },
      { programId: net.programId, externalIds: [] },
      {},
    ]) {
      expectProblem(await h.request({ method: 'POST', url: '/v1/commissions/approve', token: merchantToken, payload }), 400, 'validation_failed');
    }
    expect((await statusOf(c.id)).status).toBe('pending');
  });

  it('another network’s commission is not found; a publishable key, an analyst and an affiliate get 403', async () => {
    const c = await accrued(net);
    const cross = await h.request({ method: 'POST', url: '/v1/commissions/approve', token: merchantToken, payload: { ids: [otherCommission] } });
    expect(cross.body.data[0]).toMatchObject({ id: otherCommission, result: 'not_found', status: null });
    expect((await statusOf(otherCommission)).status).toBe('pending');
    for (const token of [publishableKey, analystToken, affiliateToken]) {
      expectProblem(await h.request({ method: 'POST', url: '/v1/commissions/approve', token, payload: { ids: [c.id] } }), 403, 'forbidden');
    }
    expect((await statusOf(c.id)).status).toBe('pending');
  });
});
