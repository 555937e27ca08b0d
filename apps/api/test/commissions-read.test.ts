import { createPrisma, type PrismaClient } from '@app/db/client';
import { insertConversion, type ProgramNetwork, topUp } from '@app/domain/commissions/accrual-fixtures';
import { accrueConversion } from '@app/domain/commissions/accrue-conversion';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createProgram, networkWithMerchant, partner } from './builders';
import { createApiKey, createMerchant, expectProblem, type Harness, logIn, startHarness } from './harness';

/** GET /v1/commissions and /v1/commissions/:id: who sees which lines, filters and paging. */

let h: Harness;
let prisma: PrismaClient;
let networkToken: string;
let shoesToken: string;
let bagsToken: string;
let shoesKey: string;
let bob: { token: string; id: string };
let carol: { token: string; id: string };
let shoes: ProgramNetwork;
let bags: ProgramNetwork;
let otherToken: string;
let bobSales: string[];
let carolSale: string;

type Line = {
  id: string;
  conversionId: string;
  affiliateId: string | null;
  kind: string;
  amount: number;
  currency: string;
  status: string;
  [k: string]: unknown;
};

function list(token: string | undefined, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  return h.request({ method: 'GET', url: `/v1/commissions${qs ? `?${qs}` : ''}`, token });
}
async function lines(token: string, query: Record<string, string> = {}): Promise<Line[]> {
  const res = await list(token, { limit: '500', ...query });
  if (res.status !== 200) throw new Error(`list failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

beforeAll(async () => {
  h = await startHarness('commissions_read', { RATE_LIMIT_MAX: '100000' });
  prisma = createPrisma({ url: h.db.appUrl, poolSize: 4 });
  const { net, merchantId, merchantToken } = await networkWithMerchant(h, 'comread');
  networkToken = net.token;
  shoesToken = merchantToken;
  shoesKey = (await createApiKey(h, shoesToken, merchantId)).key;
  const bagsMerchant = (await createMerchant(h, net.token, 'Bags', 'owner@bags.example')).id;
  bagsToken = (await logIn(h, 'comread', 'owner@bags.example')).accessToken;
  const plan = { sale: { percentBps: 1000 }, networkFee: { percentBps: 2000, of: 'commission' } };
  const shoesProgram = await createProgram(h, shoesToken, merchantId, { plan });
  const bagsProgram = await createProgram(h, bagsToken, bagsMerchant, {
    name: 'Bags',
    plan,
    landingUrl: 'https://bags.example/',
    allowedDomains: ['bags.example'],
  });
  bob = await partner(h, 'comread', 'bob@blog.example');
  carol = await partner(h, 'comread', 'carol@blog.example');
  for (const p of [bob, carol]) {
    await approvedEnrollment(h, shoesToken, shoesProgram, p.token);
    await approvedEnrollment(h, bagsToken, bagsProgram, p.token);
  }
  const base = { tenantId: net.tenantId, versions: [], parentId: '', groupId: '', affiliateIds: [bob.id, carol.id] };
  shoes = { ...base, merchantId, programId: shoesProgram };
  bags = { ...base, merchantId: bagsMerchant, programId: bagsProgram };
  await topUp(prisma, shoes, 100_000n);
  bobSales = [];
  for (const amount of [10_000n, 20_000n, 30_000n]) bobSales.push(await insertConversion(h.owner, shoes, { affiliateId: bob.id, amount }));
  carolSale = await insertConversion(h.owner, shoes, { affiliateId: carol.id, amount: 5_000n });
  // Bags never topped up: its line waits for funds.
  const bagsSale = await insertConversion(h.owner, bags, { affiliateId: bob.id, amount: 7_000n });
  for (const id of [...bobSales, carolSale, bagsSale]) await accrueConversion(prisma, net.tenantId, id);
  // The merchant rejected Bob's first sale (the rejection flow is built elsewhere; its effect here).
  await h.owner.query(`UPDATE commissions SET status = 'rejected', reason = 'order cancelled' WHERE conversion_id = $1`, [bobSales[0]]);

  const other = await networkWithMerchant(h, 'comread-other');
  otherToken = other.net.token;
});
afterAll(async () => {
  await prisma?.$disconnect();
  await h?.close();
});

describe('who sees which commission lines', () => {
  it('network staff see every line of the network, fees included, newest first', async () => {
    const all = await lines(networkToken);
    expect(all).toHaveLength(10);
    expect(all.map((l) => l.id)).toEqual([...all.map((l) => l.id)].sort().reverse());
    expect(all.filter((l) => l.kind === 'network_fee')).toHaveLength(5);
    const fee = all.find((l) => l.kind === 'network_fee' && l.conversionId === bobSales[1])!;
    expect(fee).toMatchObject({ affiliateId: null, label: 'Network fee', amount: 400, currency: 'EUR', status: 'pending' });
  });

  it('a merchant member and its secret key see the merchant’s lines with the fee it is charged, not another merchant’s', async () => {
    for (const token of [shoesToken, shoesKey]) {
      const mine = await lines(token);
      expect(mine).toHaveLength(8);
      expect(new Set(mine.map((l) => l.programId))).toEqual(new Set([shoes.programId]));
      const bob2 = mine.filter((l) => l.conversionId === bobSales[1]);
      expect(bob2.map((l) => [l.kind, l.amount, l.affiliateId]).sort()).toEqual([
        ['network_fee', 400, null],
        ['primary', 2000, bob.id],
      ]);
      expect(bob2.find((l) => l.kind === 'primary')).toHaveProperty('basis', 20_000);
    }
    const bagsLines = await lines(bagsToken);
    expect(bagsLines.map((l) => [l.kind, l.status, l.reason]).sort()).toEqual([
      ['network_fee', 'awaiting_funds', 'insufficient_funds'],
      ['primary', 'awaiting_funds', 'insufficient_funds'],
    ]);
    expect(await lines(bagsToken, { programId: shoes.programId })).toEqual([]);
  });

  it('an affiliate sees only the lines it earns, never a network fee, with status and reason', async () => {
    const own = await lines(bob.token);
    expect(own).toHaveLength(4);
    expect(own.every((l) => l.affiliateId === bob.id && l.kind === 'primary')).toBe(true);
    expect(own.find((l) => l.conversionId === bobSales[0])).toMatchObject({ status: 'rejected', reason: 'order cancelled', amount: 1000 });
    expect(own[0]).not.toHaveProperty('merchantId');
    expect(own[0]).not.toHaveProperty('basis');
    expect(await lines(bob.token, { kind: 'network_fee' })).toEqual([]);
    expect(await lines(bob.token, { affiliateId: carol.id })).toEqual([]);
    expect(await lines(bob.token, { conversionId: carolSale })).toEqual([]);
    expect((await lines(carol.token)).map((l) => l.amount)).toEqual([500]);
  });

  it('another network sees none of them', async () => {
    expect(await lines(otherToken)).toEqual([]);
    expect(await lines(otherToken, { conversionId: bobSales[1]! })).toEqual([]);
  });

  it('GET /v1/commissions/:id answers the line to those who see it and 404 to everyone else', async () => {
    const all = await lines(networkToken);
    const bobLine = all.find((l) => l.affiliateId === bob.id && l.conversionId === bobSales[2])!;
    const fee = all.find((l) => l.kind === 'network_fee' && l.conversionId === bobSales[2])!;
    const get = (id: string, token: string) => h.request({ method: 'GET', url: `/v1/commissions/${id}`, token });
    for (const token of [networkToken, shoesToken, shoesKey, bob.token]) {
      const res = await get(bobLine.id, token);
      expect(res.status, token).toBe(200);
      expect(res.body).toMatchObject({ id: bobLine.id, amount: 3000, currency: 'EUR', status: 'pending', kind: 'primary' });
    }
    expect((await get(fee.id, shoesToken)).body).toMatchObject({ kind: 'network_fee', amount: 600, label: 'Network fee' });
    for (const [id, token] of [
      [bobLine.id, carol.token],
      [fee.id, bob.token],
      [bobLine.id, bagsToken],
      [bobLine.id, otherToken],
      ['com_01jd5v0000000000000000000', networkToken],
    ] as const) {
      expectProblem(await get(id, token), 404, 'not_found');
    }
    expectProblem(await get(bobLine.id, undefined as unknown as string), 401, 'unauthenticated');
    const publishable = await createApiKey(h, shoesToken, shoes.merchantId, 'publishable');
    expectProblem(await list(publishable.key), 403, 'forbidden');
  });
});

describe('filters and paging', () => {
  it('filters by status, kind, program, affiliate, conversion and creation time', async () => {
    expect((await lines(networkToken, { status: 'rejected' })).map((l) => l.conversionId)).toEqual([bobSales[0], bobSales[0]]);
    expect(await lines(networkToken, { status: 'awaiting_funds' })).toHaveLength(2);
    expect(await lines(networkToken, { kind: 'primary' })).toHaveLength(5);
    expect(await lines(networkToken, { programId: bags.programId })).toHaveLength(2);
    expect(await lines(networkToken, { affiliateId: carol.id })).toHaveLength(1);
    expect(await lines(networkToken, { conversionId: bobSales[2]! })).toHaveLength(2);
    expect(await lines(networkToken, { kind: 'primary', affiliateId: bob.id, status: 'pending' })).toHaveLength(2);
    expect(await lines(networkToken, { from: '2000-01-01T00:00:00Z', to: '2000-01-02T00:00:00Z' })).toEqual([]);
    expect(await lines(networkToken, { from: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(await lines(networkToken, { to: new Date(Date.now() + 60_000).toISOString() })).toHaveLength(10);
  });

  it('pages newest first with a cursor, no line twice, none missed', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(networkToken, { limit: '3', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((l: Line) => l.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(10);
    expect(seen).toEqual((await lines(networkToken)).map((l) => l.id));
  });

  it('refuses bad filters with 400 naming the field', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ status: 'open' }, 'querystring.status'],
      [{ kind: 'fee' }, 'querystring.kind'],
      [{ from: 'yesterday' }, 'querystring.from'],
      [{ limit: '501' }, 'querystring.limit'],
      [{ limit: '0' }, 'querystring.limit'],
      [{ amount: '5' }, 'querystring'],
    ];
    for (const [query, path] of cases) {
      const res = await list(networkToken, query);
      expectProblem(res, 400, 'validation_failed');
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(query),
      ).toEqual([path]);
    }
    expectProblem(await list(networkToken, { cursor: 'not-a-cursor' }), 400, 'bad_request');
  });
});
