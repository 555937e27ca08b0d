import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createProgram, networkWithMerchant, partner } from './builders';
import { count, createApiKey, createMerchant, expectProblem, type Harness, logIn, startHarness } from './harness';

let h: Harness;
let tenantId: string;
let networkToken: string;
let merchantId: string;
let ownerToken: string;
let secret: string;
let publishable: string;
let program: string;
let usdProgram: string;
let otherSecret: string;
let otherProgram: string;
let bagsSecret: string;
let bob: { token: string; id: string };

const sale = (externalId: string, extra: Record<string, unknown> = {}) => ({ programId: program, type: 'sale', externalId, amount: 12_000, ...extra });

function post(token: string, payload: unknown, headers: Record<string, string> = {}) {
  return h.request({ method: 'POST', url: '/v1/conversions', token, payload: payload as object, headers });
}

async function conversionRows(externalId: string) {
  return (await h.owner.query('SELECT * FROM conversions WHERE external_id = $1', [externalId])).rows;
}

beforeAll(async () => {
  h = await startHarness('conversions', { RATE_LIMIT_MAX: '100000' });
  let net: { token: string; tenantId: string };
  ({ net, merchantId, merchantToken: ownerToken } = await networkWithMerchant(h, 'conv'));
  tenantId = net.tenantId;
  networkToken = net.token;
  secret = (await createApiKey(h, ownerToken, merchantId, 'secret')).key;
  publishable = (await createApiKey(h, ownerToken, merchantId, 'publishable')).key;
  program = await createProgram(h, ownerToken, merchantId);
  usdProgram = await createProgram(h, ownerToken, merchantId, { name: 'US shoes', currency: 'USD' });
  bob = await partner(h, 'conv', 'bob@blog.example');
  await approvedEnrollment(h, ownerToken, program, bob.token);

  const bags = await createMerchant(h, net.token, 'Bags', 'owner@bags.example');
  const bagsOwner = (await logIn(h, 'conv', 'owner@bags.example')).accessToken;
  bagsSecret = (await createApiKey(h, bagsOwner, bags.id, 'secret')).key;

  const other = await networkWithMerchant(h, 'conv-other');
  otherSecret = (await createApiKey(h, other.merchantToken, other.merchantId, 'secret')).key;
  otherProgram = await createProgram(h, other.merchantToken, other.merchantId);
});

afterAll(async () => {
  await h?.close();
});

describe('POST /v1/conversions', () => {
  it('stores a sale as received with its outbox job and event, and answers 202', async () => {
    const res = await post(secret, sale('order-1', { customer: { externalId: 'cus-1', email: ' Jane@Example.COM ' }, metadata: { plan: 'pro' } }));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^cnv_/), status: 'received' });
    const [row] = await conversionRows('order-1');
    expect(row).toMatchObject({
      id: res.body.id,
      status: 'received',
      attribution: 'pending',
      amount: '12000',
      currency: 'EUR',
      source: 'api',
      trust: 'server',
    });
    const outbox = await h.owner.query('SELECT topic, payload FROM outbox WHERE payload->>$1 = $2', ['conversionId', res.body.id]);
    expect(outbox.rows).toEqual([{ topic: 'conversions.attribute', payload: { conversionId: res.body.id } }]);
    const events = await h.owner.query('SELECT type FROM domain_events WHERE subject_id = $1', [res.body.id]);
    expect(events.rows.map((e) => e.type)).toEqual(['conversion.created']);
  });

  it('keeps the customer e-mail hashed, not in clear, unless the merchant opted in', async () => {
    const { rows } = await h.owner.query('SELECT external_id, email, email_hash FROM customers WHERE external_id = $1', ['cus-1']);
    expect(rows).toHaveLength(1);
    expect(rows[0].email).toBeNull();
    expect(rows[0].email_hash).toMatch(/^[0-9a-f]{64}$/);
    // The hash is of the normalised address: another spelling finds the same customer.
    await post(secret, sale('order-email', { customer: { email: 'jane@example.com' } }));
    const [c] = await conversionRows('order-email');
    const [first] = await conversionRows('order-1');
    expect(c.customer_id).toBe(first.customer_id);
  });

  it('keeps the e-mail in clear once the merchant opts in, and says so in the merchant view', async () => {
    const before = await h.request({ method: 'GET', url: `/v1/merchants/${merchantId}`, token: ownerToken });
    expect(before.body.storeCustomerEmails).toBe(false);
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/merchants/${merchantId}`, token: ownerToken, payload: { storeCustomerEmails: 'yes' } }),
      400,
      'validation_failed',
    );
    const on = await h.request({ method: 'PATCH', url: `/v1/merchants/${merchantId}`, token: ownerToken, payload: { storeCustomerEmails: true } });
    expect(on.body.storeCustomerEmails).toBe(true);
    await post(secret, sale('order-clear', { customer: { externalId: 'cus-clear', email: 'Kim@Example.com' } }));
    const { rows } = await h.owner.query('SELECT email FROM customers WHERE external_id = $1', ['cus-clear']);
    expect(rows).toEqual([{ email: 'kim@example.com' }]);
    await h.request({ method: 'PATCH', url: `/v1/merchants/${merchantId}`, token: ownerToken, payload: { storeCustomerEmails: false } });
  });

  it('answers a repeated externalId with the existing conversion (200), changing nothing', async () => {
    const first = await post(secret, sale('order-2'));
    const again = await post(secret, sale('order-2', { amount: 99 }));
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const rows = await conversionRows('order-2');
    expect(rows).toHaveLength(1);
    expect(rows[0].amount).toBe('12000');
  });

  it('stores one conversion for the same externalId sent 50 times at once', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(secret, sale('order-race'))));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(49);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await conversionRows('order-race')).toHaveLength(1);
    const outbox = await h.owner.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'conversions.attribute' AND payload->>'conversionId' = $1`, [
      answers[0]!.body.id,
    ]);
    expect(outbox.rows[0].n).toBe(1);
  });

  it('replays the answer of an Idempotency-Key for the same body, and refuses another body with 409', async () => {
    const key = { 'idempotency-key': 'idem-1' };
    const first = await post(secret, sale('order-idem'), key);
    const replay = await post(secret, sale('order-idem'), key);
    expect(first.status).toBe(202);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await post(secret, sale('order-idem-2'), key);
    expectProblem(other, 409, 'idempotency_conflict');
    expect(await conversionRows('order-idem-2')).toHaveLength(0);
    // Keys are per API key: another merchant's client may use the same key.
    const bags = await h.request({ method: 'POST', url: '/v1/conversions', token: bagsSecret, payload: sale('x'), headers: key });
    expectProblem(bags, 404, 'not_found');
  });

  it('runs concurrent requests with one Idempotency-Key once', async () => {
    const key = { 'idempotency-key': 'idem-race' };
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(secret, sale('order-idem-race'), key)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([202]));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  });

  it('converts a sale in another currency at the rate in force then, and records the rate', async () => {
    const noRate = await post(secret, sale('order-usd-0', { currency: 'USD', amount: 10_000 }));
    expectProblem(noRate, 400, 'validation_failed');
    expect(noRate.body.detail).toContain('No exchange rate from USD to EUR');
    expect(await conversionRows('order-usd-0')).toHaveLength(0);

    const old = await h.request({
      method: 'POST',
      url: '/v1/fx-rates',
      token: networkToken,
      payload: { from: 'USD', to: 'EUR', rate: '0.8', effectiveFrom: '2026-01-01T00:00:00Z' },
    });
    expect(old.status).toBe(201);
    const current = await h.request({
      method: 'POST',
      url: '/v1/fx-rates',
      token: networkToken,
      payload: { from: 'USD', to: 'EUR', rate: '0.923456789', effectiveFrom: '2026-06-01T00:00:00Z' },
    });
    expect(current.body).toMatchObject({ from: 'USD', to: 'EUR', rate: '0.923456789' });

    // 100.01 USD × 0.923456789 = 92.354913… EUR → 9235 cents (half away from zero).
    const res = await post(secret, sale('order-usd-1', { currency: 'USD', amount: 10_001, items: [{ sku: 'A', amount: 5_001, quantity: 2 }] }));
    expect(res.status).toBe(202);
    const [row] = await conversionRows('order-usd-1');
    expect(row).toMatchObject({
      amount: '9235',
      currency: 'EUR',
      original_amount: '10001',
      original_currency: 'USD',
      fx_rate_nano: '923456789',
      fx_rate_id: current.body.id,
    });
    expect(row.items).toEqual([{ sku: 'A', amount: 4618, quantity: 2 }]);

    // A sale dated before June uses the rate then in force.
    await post(secret, sale('order-usd-2', { currency: 'USD', amount: 10_000, occurredAt: '2026-03-01T12:00:00Z' }));
    const [march] = await conversionRows('order-usd-2');
    expect(march).toMatchObject({ amount: '8000', fx_rate_id: old.body.id });

    // JPY has no minor digits: 1,000 JPY at 0.0061 EUR = 6.10 EUR = 610 cents.
    await h.request({
      method: 'POST',
      url: '/v1/fx-rates',
      token: networkToken,
      payload: { from: 'JPY', to: 'EUR', rate: '0.0061', effectiveFrom: '2026-01-01T00:00:00Z' },
    });
    await post(secret, sale('order-jpy', { currency: 'JPY', amount: 1_000 }));
    expect((await conversionRows('order-jpy'))[0]).toMatchObject({ amount: '610', original_amount: '1000' });
  });

  it('refuses bad input with a problem and stores nothing', async () => {
    const before = await count(h, 'conversions');
    const cases: [unknown, string][] = [
      [{ ...sale('bad-1'), amount: '12000' }, 'amount'],
      [{ ...sale('bad-2'), amount: 12.5 }, 'amount'],
      [{ ...sale('bad-3'), amount: -1 }, 'amount'],
      [{ ...sale('bad-4'), amount: 10 ** 15 }, 'amount'],
      [{ programId: program, type: 'sale', externalId: 'bad-5' }, 'amount'],
      [{ ...sale('bad-6'), type: 'purchase' }, 'type'],
      [{ ...sale('bad-7'), extra: 1 }, ''],
      [{ ...sale(''), externalId: '' }, 'externalId'],
      [{ ...sale('bad-9'), externalId: 'x'.repeat(201) }, 'externalId'],
      [{ ...sale('bad-10'), currency: 'eur' }, 'currency'],
      [{ ...sale('bad-11'), customer: {} }, 'customer'],
      [{ ...sale('bad-12'), customer: { email: 'not-an-email' } }, 'customer.email'],
      [{ ...sale('bad-13'), occurredAt: '2099-01-01T00:00:00Z' }, 'occurredAt'],
      [{ ...sale('bad-14'), items: [{ sku: 'A', amount: 1 }] }, 'items.0.quantity'],
      [{ ...sale('bad-15'), metadata: { big: 'x'.repeat(9000) } }, 'metadata'],
    ];
    for (const [payload, path] of cases) {
      const res = await post(secret, payload);
      expectProblem(res, 400, 'validation_failed');
      if (path)
        expect(
          res.body.errors.map((e: { path: string }) => e.path),
          JSON.stringify(payload).slice(0, 80),
        ).toContain(path);
    }
    expectProblem(await post(secret, sale('bad-cur', { currency: 'XYZ' })), 400, 'validation_failed');
    expect(await count(h, 'conversions')).toBe(before);
  });

  it('answers 404 for another tenant’s or another merchant’s program, 403 for a publishable key, 401 without a key', async () => {
    expectProblem(await post(secret, { ...sale('x-1'), programId: otherProgram }), 404, 'not_found');
    expectProblem(await post(otherSecret, sale('x-2')), 404, 'not_found');
    expectProblem(await post(bagsSecret, sale('x-3')), 404, 'not_found');
    expectProblem(await post(publishable, sale('x-4')), 403, 'forbidden');
    expectProblem(await h.request({ method: 'POST', url: '/v1/conversions', payload: sale('x-5') }), 401, 'unauthenticated');
    expect(await h.owner.query(`SELECT 1 FROM conversions WHERE external_id LIKE 'x-%'`).then((r) => r.rowCount)).toBe(0);
  });

  it('keeps browser-reported sales off unless the program allows them', async () => {
    const view = await h.request({ method: 'GET', url: `/v1/programs/${program}`, token: ownerToken });
    expect(view.body.browserSales).toBe(false);
    const on = await h.request({ method: 'PATCH', url: `/v1/programs/${usdProgram}`, token: ownerToken, payload: { browserSales: true } });
    expect(on.body.browserSales).toBe(true);
    expect((await h.owner.query('SELECT browser_sales FROM programs WHERE id = $1', [usdProgram])).rows[0].browser_sales).toBe(true);
  });

  it('accepts a lead without an amount', async () => {
    const res = await post(secret, { programId: program, type: 'lead', externalId: 'lead-1', customer: { email: 'lead@example.com' } });
    expect(res.status).toBe(202);
    expect((await conversionRows('lead-1'))[0]).toMatchObject({ type: 'lead', amount: null, currency: null });
  });
});

describe('refunds', () => {
  async function newSale(externalId: string, extra: Record<string, unknown> = {}) {
    const res = await post(secret, sale(externalId, extra));
    expect(res.status).toBe(202);
    return res.body.id as string;
  }
  const refund = (id: string, payload?: object, token = secret, headers: Record<string, string> = {}) =>
    h.request({ method: 'POST', url: `/v1/conversions/${id}/refund`, token, payload, headers });

  it('refunds in parts, then refuses more than what remains, then the rest', async () => {
    const id = await newSale('refund-1');
    const part = await refund(id, { amount: 2_000, reason: 'one item returned' });
    expect(part.status).toBe(201);
    expect(part.body).toMatchObject({ status: 'applied', amount: 2_000, appliedAmount: 2_000, conversion: { id, status: 'received', refundedAmount: 2_000 } });
    const tooMuch = await refund(id, { amount: 10_001 });
    expectProblem(tooMuch, 400, 'validation_failed');
    const rest = await refund(id);
    expect(rest.body).toMatchObject({ appliedAmount: 10_000, conversion: { status: 'refunded', refundedAmount: 12_000 } });
    expectProblem(await refund(id), 409, 'invalid_state');
    const outbox = await h.owner.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'commissions.reverse' AND payload->>'refundId' = ANY($1)`, [
      [part.body.id, rest.body.id],
    ]);
    expect(outbox.rows[0].n).toBe(2);
  });

  it('adds concurrent partial refunds up without taking back more than the sale', async () => {
    const id = await newSale('refund-race');
    const answers = await Promise.all(Array.from({ length: 8 }, () => refund(id, { amount: 2_000 })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(6);
    expect(answers.filter((a) => a.status === 400 || a.status === 409)).toHaveLength(2);
    const [row] = await conversionRows('refund-race');
    expect(row).toMatchObject({ refunded_amount: '12000', status: 'refunded' });
  });

  it('takes a refund of a sale in another currency in that currency, at the sale’s rate', async () => {
    const id = await newSale('refund-usd', { currency: 'USD', amount: 10_000 });
    const res = await refund(id, { amount: 5_000 });
    // 50.00 USD at 0.923456789 → 46.17 EUR.
    expect(res.body).toMatchObject({ amount: 5_000, appliedAmount: 4_617 });
  });

  it('cancels a lead, and refuses an amount for one', async () => {
    const lead = await post(secret, { programId: program, type: 'lead', externalId: 'lead-cancel' });
    expectProblem(await refund(lead.body.id, { amount: 5 }), 400, 'validation_failed');
    expect((await refund(lead.body.id, { reason: 'fake sign-up' })).body.conversion.status).toBe('refunded');
  });

  it('replays an idempotent refund instead of refunding twice', async () => {
    const id = await newSale('refund-idem');
    const key = { 'idempotency-key': 'refund-key' };
    const a = await refund(id, { amount: 1_000 }, secret, key);
    const b = await refund(id, { amount: 1_000 }, secret, key);
    expect(b.body).toEqual(a.body);
    expect((await conversionRows('refund-idem'))[0].refunded_amount).toBe('1000');
    expectProblem(await refund(id, { amount: 2_000 }, secret, key), 409, 'idempotency_conflict');
  });

  it('refuses bad refunds and other tenants’ conversions', async () => {
    const id = await newSale('refund-bad');
    for (const payload of [{ amount: 0 }, { amount: '5' }, { amount: 1.5 }, { extra: true }])
      expectProblem(await refund(id, payload), 400, 'validation_failed');
    expectProblem(await refund(id, { amount: 5 }, otherSecret), 404, 'not_found');
    expectProblem(await refund(id, { amount: 5 }, bagsSecret), 404, 'not_found');
    expectProblem(await refund(id, { amount: 5 }, bob.token), 404, 'not_found');
    expectProblem(await refund('cnv_01jd5v0000000000000000000', {}), 404, 'not_found');
    expect((await conversionRows('refund-bad'))[0].refunded_amount).toBe('0');
  });
});

describe('reading conversions', () => {
  it('lists a merchant’s conversions with filters, and pages through them', async () => {
    const all = await h.request({ method: 'GET', url: '/v1/conversions?limit=500', token: ownerToken });
    expect(all.status).toBe(200);
    const stored = await h.owner.query('SELECT id FROM conversions WHERE tenant_id = $1 AND merchant_id = $2', [tenantId, merchantId]);
    expect(all.body.data.map((c: { id: string }) => c.id).sort()).toEqual(stored.rows.map((r) => r.id).sort());
    const leads = await h.request({ method: 'GET', url: '/v1/conversions?type=lead', token: secret });
    expect(leads.body.data.length).toBeGreaterThan(0);
    expect(leads.body.data.every((c: { type: string }) => c.type === 'lead')).toBe(true);
    const refunded = await h.request({ method: 'GET', url: '/v1/conversions?status=refunded&limit=2', token: ownerToken });
    expect(refunded.body.data).toHaveLength(2);
    const next = await h.request({ method: 'GET', url: `/v1/conversions?status=refunded&limit=2&cursor=${refunded.body.nextCursor}`, token: ownerToken });
    expect(next.body.data[0].id < refunded.body.data[1].id).toBe(true);
    const byExternal = await h.request({ method: 'GET', url: '/v1/conversions?externalId=order-1', token: ownerToken });
    expect(byExternal.body.data).toHaveLength(1);
    expect(byExternal.body.data[0].customer).toMatchObject({ externalId: 'cus-1', email: null });
  });

  it('shows an affiliate only conversions attributed to it, without customer data', async () => {
    const [row] = await conversionRows('order-2');
    await h.owner.query(`UPDATE conversions SET attribution = 'attributed', status = 'attributed', affiliate_id = $1 WHERE id = $2`, [bob.id, row.id]);
    const list = await h.request({ method: 'GET', url: '/v1/conversions', token: bob.token });
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([row.id]);
    expect(list.body.data[0]).not.toHaveProperty('customer');
    expect(list.body.data[0]).not.toHaveProperty('metadata');
    expect(list.body.data[0]).not.toHaveProperty('signals');
    const one = await h.request({ method: 'GET', url: `/v1/conversions/${row.id}`, token: bob.token });
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('customer');
    const [other] = await conversionRows('order-1');
    expectProblem(await h.request({ method: 'GET', url: `/v1/conversions/${other.id}`, token: bob.token }), 404, 'not_found');
  });

  it('hides conversions from other merchants and other tenants', async () => {
    const [row] = await conversionRows('order-1');
    expectProblem(await h.request({ method: 'GET', url: `/v1/conversions/${row.id}`, token: bagsSecret }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: `/v1/conversions/${row.id}`, token: otherSecret }), 404, 'not_found');
    const bagsList = await h.request({ method: 'GET', url: '/v1/conversions', token: bagsSecret });
    expect(bagsList.body.data).toEqual([]);
    const detail = await h.request({ method: 'GET', url: `/v1/conversions/${row.id}`, token: ownerToken });
    expect(detail.body).toMatchObject({ id: row.id, externalId: 'order-1', amount: 12_000, currency: 'EUR', metadata: { plan: 'pro' }, status: 'received' });
  });

  it('keeps FX rates to network finance staff for writing', async () => {
    expectProblem(
      await h.request({ method: 'POST', url: '/v1/fx-rates', token: ownerToken, payload: { from: 'GBP', to: 'EUR', rate: '1.17' } }),
      403,
      'forbidden',
    );
    for (const payload of [
      { from: 'EUR', to: 'EUR', rate: '1' },
      { from: 'GBP', to: 'EUR', rate: '0' },
      { from: 'GBP', to: 'EUR', rate: '1.1234567891' },
      { from: 'GBP', to: 'EUR', rate: 1.17 },
    ]) {
      expectProblem(await h.request({ method: 'POST', url: '/v1/fx-rates', token: networkToken, payload }), 400, 'validation_failed');
    }
    const list = await h.request({ method: 'GET', url: '/v1/fx-rates?from=USD', token: ownerToken });
    expect(list.body.data.map((r: { rate: string }) => r.rate)).toEqual(['0.923456789', '0.8']);
    expect(usdProgram).toMatch(/^prg_/);
  });
});
