import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from './builders';
import { createApiKey, createMerchant, expectProblem, type Harness, logIn, startHarness } from './harness';

let h: Harness;
let tenantId: string;
let networkToken: string;
let shoesMerchant: string;
let shoesOwner: string;
let bagsMerchant: string;
let bagsOwner: string;
let shoes: string;
let shoesVip: string;
let bags: string;
let bob: { token: string; id: string };
let carol: { token: string; id: string };
let links: Record<'a' | 'b' | 'c' | 'd' | 'e', { id: string; code: string }>;
let otherToken: string;
let otherProgram: string;
let otherAffiliate: string;

type Row = { key: string; label?: string | null; clicks: number; uniqueClicks: number; filteredClicks: number };

/** One rollup row, written as the click consumer would (its own tenant). */
async function stat(tenant: string, day: string, programId: string, affiliateId: string, linkId: string, sub1: string, counts: [number, number, number]) {
  await h.owner.query(
    `INSERT INTO click_daily_stats (tenant_id, day, program_id, affiliate_id, link_id, sub1, clicks, unique_clicks, filtered_clicks)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [tenant, day, programId, affiliateId, linkId, sub1, ...counts],
  );
}

function report(token: string | undefined, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  return h.request({ method: 'GET', url: `/v1/reports/summary${qs ? `?${qs}` : ''}`, token });
}

/** The report over the seeded range, checked to be a 200. */
async function marchReport(token: string, query: Record<string, string> = {}) {
  const res = await report(token, { from: '2026-03-01', to: '2026-03-10', ...query });
  if (res.status !== 200) throw new Error(`report failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { from: string; to: string; groupBy: string; data: Row[]; totals: Omit<Row, 'key' | 'label'> };
}

const NO_CONVERSIONS = { leads: 0, sales: 0, revenue: 0, commissions: 0, conversionRate: 0, epc: 0 };
/** Click measures of a report without conversions, as network staff and merchants see it (with the network fee). */
const m = (clicks: number, uniqueClicks: number, filteredClicks: number) => ({ clicks, uniqueClicks, filteredClicks, ...NO_CONVERSIONS, networkFee: 0 });
/** The same as an affiliate sees it: no network fee. */
const am = (clicks: number, uniqueClicks: number, filteredClicks: number) => ({ clicks, uniqueClicks, filteredClicks, ...NO_CONVERSIONS });
const ZERO = m(0, 0, 0);
const AZERO = am(0, 0, 0);

beforeAll(async () => {
  h = await startHarness('reports', { RATE_LIMIT_MAX: '100000' });
  let net: { token: string; tenantId: string };
  ({ net, merchantId: shoesMerchant, merchantToken: shoesOwner } = await networkWithMerchant(h, 'reports'));
  tenantId = net.tenantId;
  networkToken = net.token;
  bagsMerchant = (await createMerchant(h, net.token, 'Bags', 'owner@bags.example')).id;
  bagsOwner = (await logIn(h, 'reports', 'owner@bags.example')).accessToken;
  shoes = await createProgram(h, shoesOwner, shoesMerchant);
  shoesVip = await createProgram(h, shoesOwner, shoesMerchant, { name: 'Shoes VIP' });
  bags = await createProgram(h, bagsOwner, bagsMerchant, { name: 'Bags 5%', landingUrl: 'https://bags.example/', allowedDomains: ['bags.example'] });
  bob = await partner(h, 'reports', 'bob@blog.example');
  carol = await partner(h, 'reports', 'carol@blog.example');
  await approvedEnrollment(h, shoesOwner, shoes, bob.token);
  await approvedEnrollment(h, shoesOwner, shoesVip, bob.token);
  await approvedEnrollment(h, bagsOwner, bags, bob.token);
  await approvedEnrollment(h, shoesOwner, shoes, carol.token);
  links = {
    a: await createLink(h, bob.token, { programId: shoes, sub1: 'newsletter' }),
    b: await createLink(h, bob.token, { programId: shoes }),
    c: await createLink(h, carol.token, { programId: shoes }),
    d: await createLink(h, bob.token, { programId: bags }),
    e: await createLink(h, bob.token, { programId: shoesVip }),
  };

  const other = await networkWithMerchant(h, 'reports-other');
  otherToken = other.net.token;
  otherProgram = await createProgram(h, other.merchantToken, other.merchantId);
  const dan = await partner(h, 'reports-other', 'dan@blog.example');
  otherAffiliate = dan.id;
  await approvedEnrollment(h, other.merchantToken, otherProgram, dan.token);
  const danLink = await createLink(h, dan.token, { programId: otherProgram });

  // [clicks, uniqueClicks, filteredClicks]
  await stat(tenantId, '2026-03-01', shoes, bob.id, links.a.id, 'newsletter', [10, 7, 2]);
  await stat(tenantId, '2026-03-01', shoes, bob.id, links.a.id, 'sidebar', [5, 3, 1]);
  await stat(tenantId, '2026-03-01', shoes, bob.id, '', '', [4, 4, 0]);
  await stat(tenantId, '2026-03-03', shoes, bob.id, links.b.id, 'newsletter', [6, 5, 0]);
  await stat(tenantId, '2026-03-03', shoes, carol.id, links.c.id, '', [20, 15, 5]);
  await stat(tenantId, '2026-03-05', bags, bob.id, links.d.id, 'newsletter', [8, 8, 1]);
  await stat(tenantId, '2026-03-05', shoesVip, bob.id, links.e.id, '', [3, 2, 0]);
  await stat(tenantId, '2026-03-10', shoes, carol.id, links.c.id, 'promo', [1, 1, 9]);
  // Just outside 2026-03-01 … 2026-03-10.
  await stat(tenantId, '2026-02-28', shoes, bob.id, links.a.id, 'newsletter', [100, 100, 100]);
  await stat(tenantId, '2026-03-11', shoes, bob.id, links.a.id, 'newsletter', [200, 200, 200]);
  // Another network, same days.
  await stat(other.net.tenantId, '2026-03-01', otherProgram, otherAffiliate, danLink.id, 'newsletter', [1000, 1000, 1000]);
});
afterAll(async () => {
  await h?.close();
});

describe('the click summary for network staff', () => {
  it('sums every row of the range, by day by default, zero-filling the days without traffic', async () => {
    const res = await marchReport(networkToken);
    expect(res).toMatchObject({ from: '2026-03-01', to: '2026-03-10', groupBy: 'day', totals: m(57, 45, 18) });
    expect(res.data).toEqual([
      { key: '2026-03-01', label: null, ...m(19, 14, 3) },
      { key: '2026-03-02', label: null, ...ZERO },
      { key: '2026-03-03', label: null, ...m(26, 20, 5) },
      { key: '2026-03-04', label: null, ...ZERO },
      { key: '2026-03-05', label: null, ...m(11, 10, 1) },
      { key: '2026-03-06', label: null, ...ZERO },
      { key: '2026-03-07', label: null, ...ZERO },
      { key: '2026-03-08', label: null, ...ZERO },
      { key: '2026-03-09', label: null, ...ZERO },
      { key: '2026-03-10', label: null, ...m(1, 1, 9) },
    ]);
  });

  it('includes both ends of the range and nothing beyond them', async () => {
    const one = await report(networkToken, { from: '2026-03-01', to: '2026-03-01' });
    expect(one.body.data).toEqual([{ key: '2026-03-01', label: null, ...m(19, 14, 3) }]);
    expect(one.body.totals).toEqual(m(19, 14, 3));
    const last = await report(networkToken, { from: '2026-03-10', to: '2026-03-10' });
    expect(last.body.totals).toEqual(m(1, 1, 9));
    const wider = await report(networkToken, { from: '2026-02-28', to: '2026-03-11' });
    expect(wider.body.data).toHaveLength(12);
    expect(wider.body.data[0]).toEqual({ key: '2026-02-28', label: null, ...m(100, 100, 100) });
    expect(wider.body.data[11]).toEqual({ key: '2026-03-11', label: null, ...m(200, 200, 200) });
    expect(wider.body.totals).toEqual(m(357, 345, 318));
    const empty = await report(networkToken, { from: '2025-12-30', to: '2026-01-02' });
    expect(empty.body.data.map((r: Row) => r.key)).toEqual(['2025-12-30', '2025-12-31', '2026-01-01', '2026-01-02']);
    expect(empty.body.totals).toEqual(ZERO);
  });

  it('groups by program with its name, most clicks first', async () => {
    const res = await marchReport(networkToken, { groupBy: 'program' });
    expect(res.groupBy).toBe('program');
    expect(res.data).toEqual([
      { key: shoes, label: 'Shoes 10%', ...m(46, 35, 17) },
      { key: bags, label: 'Bags 5%', ...m(8, 8, 1) },
      { key: shoesVip, label: 'Shoes VIP', ...m(3, 2, 0) },
    ]);
    expect(res.totals).toEqual(m(57, 45, 18));
  });

  it('groups by affiliate with its name', async () => {
    const res = await marchReport(networkToken, { groupBy: 'affiliate' });
    expect(res.data).toEqual([
      { key: bob.id, label: 'Partner bob@blog.example', ...m(36, 29, 4) },
      { key: carol.id, label: 'Partner carol@blog.example', ...m(21, 16, 14) },
    ]);
    expect(res.totals).toEqual(m(57, 45, 18));
  });

  it('groups by link with its code; clicks without a link are the "" group', async () => {
    const res = await marchReport(networkToken, { groupBy: 'link' });
    expect(res.data).toEqual([
      { key: links.c.id, label: links.c.code, ...m(21, 16, 14) },
      { key: links.a.id, label: links.a.code, ...m(15, 10, 3) },
      { key: links.d.id, label: links.d.code, ...m(8, 8, 1) },
      { key: links.b.id, label: links.b.code, ...m(6, 5, 0) },
      { key: '', label: null, ...m(4, 4, 0) },
      { key: links.e.id, label: links.e.code, ...m(3, 2, 0) },
    ]);
    expect(res.totals).toEqual(m(57, 45, 18));
  });

  it('groups by sub1 across links and programs; clicks without sub1 are the "" group', async () => {
    const res = await marchReport(networkToken, { groupBy: 'sub1' });
    expect(res.data).toEqual([
      { key: '', label: null, ...m(27, 21, 5) },
      { key: 'newsletter', label: null, ...m(24, 20, 3) },
      { key: 'sidebar', label: null, ...m(5, 3, 1) },
      { key: 'promo', label: null, ...m(1, 1, 9) },
    ]);
    expect(res.totals).toEqual(m(57, 45, 18));
  });

  it('filters by program, affiliate, link and merchant, alone or together', async () => {
    expect((await marchReport(networkToken, { programId: shoes })).totals).toEqual(m(46, 35, 17));
    expect((await marchReport(networkToken, { affiliateId: carol.id })).totals).toEqual(m(21, 16, 14));
    expect((await marchReport(networkToken, { linkId: links.a.id })).totals).toEqual(m(15, 10, 3));
    expect((await marchReport(networkToken, { merchantId: shoesMerchant })).totals).toEqual(m(49, 37, 17));
    expect((await marchReport(networkToken, { merchantId: bagsMerchant })).totals).toEqual(m(8, 8, 1));
    const bobInShoes = await marchReport(networkToken, { programId: shoes, affiliateId: bob.id, groupBy: 'link' });
    expect(bobInShoes.data).toEqual([
      { key: links.a.id, label: links.a.code, ...m(15, 10, 3) },
      { key: links.b.id, label: links.b.code, ...m(6, 5, 0) },
      { key: '', label: null, ...m(4, 4, 0) },
    ]);
    expect(bobInShoes.totals).toEqual(m(25, 19, 3));
    const carolByDay = await marchReport(networkToken, { affiliateId: carol.id });
    expect(carolByDay.data.filter((r) => r.clicks > 0 || r.filteredClicks > 0).map((r) => r.key)).toEqual(['2026-03-03', '2026-03-10']);
    expect(carolByDay.data).toHaveLength(10);
  });

  it("never counts another network's rollups, and another network's ids give an empty report", async () => {
    const wide = await report(networkToken, { from: '2026-01-01', to: '2026-12-31', groupBy: 'program' });
    expect(wide.body.data.map((r: Row) => r.key).sort()).toEqual([shoes, shoesVip, bags].sort());
    for (const filter of [{ programId: otherProgram }, { affiliateId: otherAffiliate }, { programId: 'prg_01jd5v0000000000000000000' }] as Record<
      string,
      string
    >[]) {
      const res = await marchReport(networkToken, { ...filter, groupBy: 'program' });
      expect(res.data).toEqual([]);
      expect(res.totals).toEqual(ZERO);
    }
    // The other network sees its own and only its own.
    const theirs = await marchReport(otherToken, { groupBy: 'program' });
    expect(theirs.data).toEqual([{ key: otherProgram, label: 'Shoes 10%', ...m(1000, 1000, 1000) }]);
    expect((await marchReport(otherToken, { programId: shoes })).totals).toEqual(ZERO);
  });

  it('defaults to the last 30 days ending today (UTC)', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    await stat(tenantId, day(0), shoes, bob.id, '', 'recent', [1, 1, 0]);
    await stat(tenantId, day(-29), shoes, bob.id, '', 'recent', [2, 2, 0]);
    await stat(tenantId, day(-30), shoes, bob.id, '', 'recent', [4, 4, 0]);
    const res = await report(networkToken, { groupBy: 'day' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: day(-29), to: day(0), groupBy: 'day' });
    expect(res.body.data).toHaveLength(30);
    expect(res.body.data[0]).toMatchObject({ key: day(-29), clicks: 2 });
    expect(res.body.data[29]).toMatchObject({ key: day(0), clicks: 1 });
    expect(res.body.totals.clicks).toBe(3);
    const onlyTo = await report(networkToken, { to: day(-1), groupBy: 'sub1' });
    expect(onlyTo.body).toMatchObject({ from: day(-30), to: day(-1), data: [{ key: 'recent', ...m(6, 6, 0) }] });
    await h.owner.query(`DELETE FROM click_daily_stats WHERE sub1 = 'recent'`);
  });

  it('answers a full year of 366 days', async () => {
    const res = await report(networkToken, { from: '2024-01-01', to: '2024-12-31' });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(366);
    expect(res.body.data[59].key).toBe('2024-02-29');
  });
});

describe('what an affiliate sees', () => {
  it('only its own numbers, without any filter', async () => {
    const byDay = await marchReport(bob.token);
    expect(byDay.totals).toEqual(am(36, 29, 4));
    const byAffiliate = await marchReport(bob.token, { groupBy: 'affiliate' });
    expect(byAffiliate.data).toEqual([{ key: bob.id, label: 'Partner bob@blog.example', ...am(36, 29, 4) }]);
    const byProgram = await marchReport(bob.token, { groupBy: 'program' });
    expect(byProgram.data).toEqual([
      { key: shoes, label: 'Shoes 10%', ...am(25, 19, 3) },
      { key: bags, label: 'Bags 5%', ...am(8, 8, 1) },
      { key: shoesVip, label: 'Shoes VIP', ...am(3, 2, 0) },
    ]);
    const carolsLinks = await marchReport(carol.token, { groupBy: 'link' });
    expect(carolsLinks.data).toEqual([{ key: links.c.id, label: links.c.code, ...am(21, 16, 14) }]);
  });

  it("gets nothing for another affiliate's id, link, or another network's program", async () => {
    for (const filter of [{ affiliateId: carol.id }, { linkId: links.c.id }, { programId: otherProgram }, { affiliateId: otherAffiliate }] as Record<
      string,
      string
    >[]) {
      const res = await marchReport(bob.token, { ...filter, groupBy: 'affiliate' });
      expect(res.data).toEqual([]);
      expect(res.totals).toEqual(AZERO);
      const byDay = await marchReport(bob.token, filter);
      expect(byDay.data.every((r) => r.clicks === 0 && r.uniqueClicks === 0 && r.filteredClicks === 0)).toBe(true);
    }
    // A shared program narrows to its own share only.
    expect((await marchReport(carol.token, { programId: shoes })).totals).toEqual(am(21, 16, 14));
    expect((await marchReport(carol.token, { merchantId: shoesMerchant })).totals).toEqual(am(21, 16, 14));
  });
});

describe('what a merchant sees', () => {
  it("only its programs' clicks: another merchant's program never appears", async () => {
    const shoesView = await marchReport(shoesOwner, { groupBy: 'program' });
    expect(shoesView.data).toEqual([
      { key: shoes, label: 'Shoes 10%', ...m(46, 35, 17) },
      { key: shoesVip, label: 'Shoes VIP', ...m(3, 2, 0) },
    ]);
    expect(shoesView.totals).toEqual(m(49, 37, 17));
    const byAffiliate = await marchReport(shoesOwner, { groupBy: 'affiliate' });
    expect(byAffiliate.data).toEqual([
      { key: bob.id, label: 'Partner bob@blog.example', ...m(28, 21, 3) },
      { key: carol.id, label: 'Partner carol@blog.example', ...m(21, 16, 14) },
    ]);
    const bagsView = await marchReport(bagsOwner, { groupBy: 'link' });
    expect(bagsView.data).toEqual([{ key: links.d.id, label: links.d.code, ...m(8, 8, 1) }]);
  });

  it("gets nothing when filtering by another merchant's program, link or merchant id", async () => {
    for (const filter of [{ programId: bags }, { linkId: links.d.id }, { merchantId: bagsMerchant }, { programId: otherProgram }] as Record<string, string>[]) {
      const res = await marchReport(shoesOwner, { ...filter, groupBy: 'program' });
      expect(res.data).toEqual([]);
      expect(res.totals).toEqual(ZERO);
    }
    expect((await marchReport(shoesOwner, { affiliateId: bob.id })).totals).toEqual(m(28, 21, 3));
  });

  it('a secret API key reports its merchant; a publishable key may not', async () => {
    const secret = await createApiKey(h, bagsOwner, bagsMerchant);
    expect((await marchReport(secret.key)).totals).toEqual(m(8, 8, 1));
    const publishable = await createApiKey(h, bagsOwner, bagsMerchant, 'publishable');
    expectProblem(await report(publishable.key, { from: '2026-03-01', to: '2026-03-10' }), 403, 'forbidden');
  });
});

describe('bad requests', () => {
  const paths = (res: { body: { errors?: { path: string }[] } }) => res.body.errors?.map((e) => e.path);

  it('answers 400 validation_failed naming the field', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ from: '2026-03-10', to: '2026-03-01' }, 'querystring.to'],
      [{ from: '2024-01-01', to: '2025-01-01' }, 'querystring.to'],
      [{ from: '2020-01-01' }, 'querystring.to'],
      [{ groupBy: 'merchant' }, 'querystring.groupBy'],
      [{ groupBy: 'week' }, 'querystring.groupBy'],
      [{ country: 'DE' }, 'querystring'],
      [{ from: '2026-3-1', to: '2026-03-10' }, 'querystring.from'],
      [{ from: '2026-02-30', to: '2026-03-10' }, 'querystring.from'],
      [{ from: '2026-03-01T00:00:00Z', to: '2026-03-10' }, 'querystring.from'],
      [{ to: 'yesterday' }, 'querystring.to'],
    ];
    for (const [query, path] of cases) {
      const res = await report(networkToken, query);
      expectProblem(res, 400, 'validation_failed');
      expect(paths(res), JSON.stringify(query)).toEqual([path]);
    }
    const tooLong = await report(networkToken, { from: '2024-01-01', to: '2025-01-01' });
    expect(tooLong.body.errors[0].message).toMatch(/366 days/);
    const backwards = await report(networkToken, { from: '2026-03-10', to: '2026-03-01' });
    expect(backwards.body.errors[0].message).toMatch(/on or after from/);
  });

  it('answers 401 without credentials', async () => {
    expectProblem(await report(undefined, { from: '2026-03-01', to: '2026-03-10' }), 401, 'unauthenticated');
    expectProblem(await report(undefined), 401, 'unauthenticated');
  });

  it('is in the OpenAPI document with its query parameters', async () => {
    const doc = await h.request({ method: 'GET', url: '/v1/openapi.json' });
    const op = doc.body.paths['/v1/reports/summary'].get;
    expect(op.tags).toEqual(['reports']);
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'affiliateId',
      'currency',
      'from',
      'groupBy',
      'linkId',
      'merchantId',
      'programId',
      'to',
    ]);
  });
});

describe('conversions and money from the conversion rollups', () => {
  let token: string;
  let merchantToken: string;
  let eur: string;
  let usd: string;
  let x: { token: string; id: string };
  let y: { token: string; id: string };

  async function money(tok: string, query: Record<string, string> = {}) {
    return report(tok, { from: '2026-04-01', to: '2026-04-03', ...query });
  }

  beforeAll(async () => {
    const net = await networkWithMerchant(h, 'reports-money');
    token = net.net.token;
    merchantToken = net.merchantToken;
    eur = await createProgram(h, merchantToken, net.merchantId, { name: 'Euro shoes' });
    usd = await createProgram(h, merchantToken, net.merchantId, { name: 'Dollar shoes', currency: 'USD' });
    x = await partner(h, 'reports-money', 'x@blog.example');
    y = await partner(h, 'reports-money', 'y@blog.example');
    const t = net.net.tenantId;
    await stat(t, '2026-04-01', eur, x.id, '', '', [19, 10, 0]);
    await stat(t, '2026-04-02', eur, y.id, '', '', [4, 4, 0]);
    const conv = (day: string, program: string, aff: string, currency: string, n: [number, number, number, number, number]) =>
      h.owner.query(
        `INSERT INTO conversion_daily_stats (tenant_id, day, program_id, affiliate_id, currency, leads, sales, revenue, commissions, network_fees)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [t, day, program, aff, currency, ...n],
      );
    // [leads, sales, revenue, commissions, network fees]
    await conv('2026-04-01', eur, x.id, 'EUR', [1, 2, 30_000, 1_001, 200]);
    await conv('2026-04-02', eur, y.id, 'EUR', [0, 1, 5_000, 502, 100]);
    await conv('2026-04-03', eur, x.id, 'EUR', [0, 1, 100, 10, 2]);
    await conv('2026-04-01', usd, x.id, 'USD', [0, 1, 999, 99, 20]);
  });

  it('adds leads, sales, revenue, commissions, network fee, conversion rate and EPC to every day and the totals', async () => {
    const res = await money(token, { currency: 'EUR' });
    expect(res.status).toBe(200);
    expect(res.body.currency).toBe('EUR');
    expect(res.body.data).toEqual([
      // 3 / 19 = 0.15789… → 0.1579; 1,001 / 19 = 52.68 → 53
      {
        key: '2026-04-01',
        label: null,
        clicks: 19,
        uniqueClicks: 10,
        filteredClicks: 0,
        leads: 1,
        sales: 2,
        revenue: 30_000,
        commissions: 1_001,
        networkFee: 200,
        conversionRate: 0.1579,
        epc: 53,
      },
      // 502 / 4 = 125.5 → 126 (half away from zero)
      {
        key: '2026-04-02',
        label: null,
        clicks: 4,
        uniqueClicks: 4,
        filteredClicks: 0,
        leads: 0,
        sales: 1,
        revenue: 5_000,
        commissions: 502,
        networkFee: 100,
        conversionRate: 0.25,
        epc: 126,
      },
      // a sale without clicks: rate and EPC 0
      {
        key: '2026-04-03',
        label: null,
        clicks: 0,
        uniqueClicks: 0,
        filteredClicks: 0,
        leads: 0,
        sales: 1,
        revenue: 100,
        commissions: 10,
        networkFee: 2,
        conversionRate: 0,
        epc: 0,
      },
    ]);
    // 5 / 23 = 0.21739… → 0.2174; 1,513 / 23 = 65.78 → 66
    expect(res.body.totals).toEqual({
      clicks: 23,
      uniqueClicks: 14,
      filteredClicks: 0,
      leads: 1,
      sales: 4,
      revenue: 35_100,
      commissions: 1_513,
      networkFee: 302,
      conversionRate: 0.2174,
      epc: 66,
    });
  });

  it('merges both rollups by the same keys when grouped', async () => {
    const res = await money(token, { currency: 'EUR', groupBy: 'affiliate' });
    expect(res.body.data).toEqual([
      {
        key: x.id,
        label: 'Partner x@blog.example',
        clicks: 19,
        uniqueClicks: 10,
        filteredClicks: 0,
        leads: 1,
        sales: 3,
        revenue: 30_100,
        commissions: 1_011,
        networkFee: 202,
        conversionRate: 0.2105,
        epc: 53,
      },
      {
        key: y.id,
        label: 'Partner y@blog.example',
        clicks: 4,
        uniqueClicks: 4,
        filteredClicks: 0,
        leads: 0,
        sales: 1,
        revenue: 5_000,
        commissions: 502,
        networkFee: 100,
        conversionRate: 0.25,
        epc: 126,
      },
    ]);
  });

  it('asks for a currency when the conversions span several, and narrows clicks to that currency’s programs', async () => {
    const mixed = await money(token);
    expectProblem(mixed, 400, 'validation_failed');
    expect(mixed.body.errors.map((e: { path: string }) => e.path)).toEqual(['querystring.currency']);
    expect(mixed.body.detail).toMatch(/EUR, USD/);
    const dollars = await money(token, { currency: 'USD' });
    expect(dollars.body.currency).toBe('USD');
    expect(dollars.body.totals).toEqual({ ...m(0, 0, 0), sales: 1, revenue: 999, commissions: 99, networkFee: 20 });
    expect((await money(token, { currency: 'SEK' })).body).toMatchObject({ currency: null, totals: m(0, 0, 0) });
    expectProblem(await money(token, { currency: 'eur' }), 400, 'validation_failed');
    // One program means one currency: no filter needed.
    expect((await money(token, { programId: usd })).body.currency).toBe('USD');
  });

  it('an affiliate sees its own conversions and commissions, never the network fee; a merchant sees the fee', async () => {
    const res = await money(y.token);
    expect(res.status).toBe(200);
    expect(res.body.totals).toEqual({
      clicks: 4,
      uniqueClicks: 4,
      filteredClicks: 0,
      leads: 0,
      sales: 1,
      revenue: 5_000,
      commissions: 502,
      conversionRate: 0.25,
      epc: 126,
    });
    expect(res.body.data.every((r: Record<string, unknown>) => !('networkFee' in r))).toBe(true);
    expect((await money(x.token, { currency: 'EUR' })).body.totals).toMatchObject({ sales: 3, commissions: 1_011 });
    expect((await money(x.token, { currency: 'EUR' })).body.totals).not.toHaveProperty('networkFee');
    expect((await money(merchantToken, { currency: 'EUR' })).body.totals).toMatchObject({ networkFee: 302, commissions: 1_513 });
    // The first network sees none of this network's money.
    expect((await report(networkToken, { from: '2026-04-01', to: '2026-04-03' })).body.totals).toEqual(ZERO);
  });
});
