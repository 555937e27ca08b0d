import { randomBytes } from 'node:crypto';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { createTransfers } from '@app/domain/ledger/create-transfers';
import { ensureAccount } from '@app/domain/ledger/ensure-account';
import { notifyIfLowBalance } from '@app/domain/top-ups/notify-if-low-balance';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMerchantUser, networkWithMerchant, partner } from './builders';
import { count, createApiKey, createMerchant, expectProblem, type Harness, logIn, PASSWORD, startHarness } from './harness';
import { type FakeStripe, startFakeStripe } from './support/fake-stripe-server';

/**
 * Prepaid top-ups: Stripe Checkout in the network's own Stripe account (against a fake
 * Stripe API that checks every request), the network's signed webhook that credits the
 * merchant's prepaid balance, manual credits by network staff, and the low-balance
 * threshold. Real Postgres; balances read from the ledger's account rows.
 */

const SECRET_KEY = 'sk_test_NetworkTopUps0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_bmV0d29yay10b3AtdXBzLXNpZ25pbmc';
const OTHER_WEBHOOK_SECRET = 'whsec_c29tZW9uZS1lbHNlcy1zZWNyZXQtMTIz';

let h: Harness;
let fake: FakeStripe;
let prisma: PrismaClient;
let tenantId: string;
let networkToken: string;
let merchantId: string;
let ownerToken: string;
let merchantFinance: string;
let merchantAnalyst: string;
let networkFinance: string;
let networkAnalyst: string;
let secretKey: string;
let bagsId: string;
let bagsToken: string;
let affiliateToken: string;
let other: { token: string; tenantId: string; merchantId: string; merchantToken: string };

const run = randomBytes(3).toString('hex');
let seq = 0;
const eventId = () => `evt_${run}${++seq}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A network staff member with `role`, written as the database owner (the API has no route for it yet); returns a token. */
async function networkUser(role: 'finance' | 'analyst', email: string): Promise<string> {
  const { rows } = await h.owner.query(
    `SELECT u.password_hash FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.tenant_id = $1 AND m.scope = 'network' AND m.role = 'owner'`,
    [tenantId],
  );
  const userId = newId('user');
  await h.owner.query('INSERT INTO users (id, tenant_id, email, name, password_hash) VALUES ($1, $2, $3, $4, $5)', [
    userId,
    tenantId,
    email,
    `Staff ${role}`,
    rows[0].password_hash,
  ]);
  await h.owner.query(`INSERT INTO memberships (id, tenant_id, user_id, scope, role) VALUES ($1, $2, $3, 'network', $4)`, [
    newId('membership'),
    tenantId,
    userId,
    role,
  ]);
  return (await logIn(h, 'topups', email, PASSWORD)).accessToken;
}

function topUp(merchant: string, token: string, payload: unknown, headers: Record<string, string> = {}) {
  return h.request({ method: 'POST', url: `/v1/merchants/${merchant}/top-ups`, token, payload: payload as object, headers });
}

function checkoutEvent(type: string, session: Record<string, unknown>, id = eventId()) {
  return { id, object: 'event', api_version: '2026-10-28.endive', type, created: nowSeconds(), livemode: false, data: { object: session } };
}

/** The session object Stripe sends once the session `id` the fake made has been paid. */
function paidSession(id: string, extra: Record<string, unknown> = {}) {
  const made = fake.sessions.get(id);
  if (!made) throw new Error(`the fake made no session ${id}`);
  const { secretKey: _key, ...session } = made;
  return { ...session, status: 'complete', payment_status: 'paid', payment_intent: `pi_${run}${++seq}`, ...extra };
}

interface Delivery {
  tenant?: string;
  secret?: string;
  timestamp?: number;
  header?: string | null;
  body?: string;
}

function deliver(event: object, options: Delivery = {}) {
  const payload = JSON.stringify(event);
  const header =
    options.header === undefined
      ? Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: options.timestamp ?? nowSeconds() })
      : options.header;
  return h.request({
    method: 'POST',
    url: `/v1/integrations/stripe/network/${options.tenant ?? tenantId}/webhook`,
    payload: options.body ?? payload,
    headers: { 'content-type': 'application/json', ...(header === null ? {} : { 'stripe-signature': header }) },
  });
}

/** The merchant's prepaid account in `currency` as the ledger holds it (posted credits − debits, pending debits). */
async function prepaid(merchant: string, currency = 'EUR') {
  const { rows } = await h.owner.query(
    `SELECT credits_posted, debits_posted, debits_pending FROM ledger_accounts WHERE owner_id = $1 AND kind = 'merchant_prepaid' AND currency = $2`,
    [merchant, currency],
  );
  if (rows.length === 0) return { posted: 0, available: 0 };
  const r = rows[0];
  const posted = Number(r.credits_posted) - Number(r.debits_posted);
  return { posted, available: posted - Number(r.debits_pending) };
}

async function topUpRow(id: string) {
  return (await h.owner.query('SELECT * FROM top_ups WHERE id = $1', [id])).rows[0];
}

async function resumeJobs(merchant: string) {
  const { rows } = await h.owner.query(`SELECT payload FROM outbox WHERE topic = 'commissions.resume' AND payload->>'merchantId' = $1 ORDER BY id`, [merchant]);
  return rows.map((r) => r.payload);
}

/** What must not move when a webhook is refused. */
async function snapshot(topUpId: string) {
  return {
    balance: await prepaid(merchantId),
    status: (await topUpRow(topUpId)).status,
    outbox: await count(h, 'outbox'),
    transfers: await count(h, 'ledger_transfers'),
  };
}

/** A pending Stripe top-up of the main merchant, made through the API. */
async function pendingTopUp(amount = 10_000, currency = 'EUR') {
  const res = await topUp(merchantId, ownerToken, { method: 'stripe', amount, currency });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const row = await topUpRow(res.body.id);
  return { id: res.body.id as string, sessionId: row.stripe_session_id as string };
}

beforeAll(async () => {
  fake = await startFakeStripe();
  fake.keys.add(SECRET_KEY);
  h = await startHarness('topups', { STRIPE_API_BASE: fake.url, RATE_LIMIT_MAX: '100000' });
  prisma = createPrisma({ url: h.db.appUrl, poolSize: 2 });
  const main = await networkWithMerchant(h, 'topups');
  tenantId = main.net.tenantId;
  networkToken = main.net.token;
  merchantId = main.merchantId;
  ownerToken = main.merchantToken;
  merchantFinance = await addMerchantUser(h, ownerToken, merchantId, 'topups', 'fin@shoes.example', 'finance');
  merchantAnalyst = await addMerchantUser(h, ownerToken, merchantId, 'topups', 'ana@shoes.example', 'analyst');
  networkFinance = await networkUser('finance', 'finance@topups.example');
  networkAnalyst = await networkUser('analyst', 'analyst@topups.example');
  secretKey = (await createApiKey(h, ownerToken, merchantId, 'secret')).key;
  bagsId = (await createMerchant(h, networkToken, 'Bags', 'owner@bags.example')).id;
  bagsToken = (await logIn(h, 'topups', 'owner@bags.example')).accessToken;
  affiliateToken = (await partner(h, 'topups', 'bob@blog.example')).token;
  const o = await networkWithMerchant(h, 'topups-other');
  other = { token: o.net.token, tenantId: o.net.tenantId, merchantId: o.merchantId, merchantToken: o.merchantToken };
});

afterAll(async () => {
  await prisma?.$disconnect();
  await h?.close();
  await fake?.close();
});

describe("the network's Stripe account", () => {
  const url = '/v1/network/integrations/stripe';
  const webhookUrl = () => `https://track.example/v1/integrations/stripe/network/${tenantId}/webhook`;

  it('starts unset, with the webhook URL to give Stripe', async () => {
    const res = await h.request({ method: 'GET', url, token: networkToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      configured: false,
      mode: null,
      webhookUrl: webhookUrl(),
      events: expect.arrayContaining(['checkout.session.completed', 'checkout.session.async_payment_succeeded', 'checkout.session.expired']),
      updatedAt: null,
    });
  });

  it('refuses a Stripe top-up while it is not connected, storing nothing', async () => {
    const before = { topUps: await count(h, 'top_ups'), requests: fake.requests.length };
    expectProblem(await topUp(merchantId, ownerToken, { method: 'stripe', amount: 5_000, currency: 'EUR' }), 409, 'invalid_state');
    expect({ topUps: await count(h, 'top_ups'), requests: fake.requests.length }).toEqual(before);
  });

  it('refuses malformed secrets and every role but network owner/admin, storing nothing', async () => {
    for (const payload of [
      { secretKey: 'pk_test_0123456789abcdef', webhookSecret: WEBHOOK_SECRET },
      { secretKey: SECRET_KEY, webhookSecret: 'not-a-secret' },
      { secretKey: SECRET_KEY },
      { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, extra: true },
      { secretKey: 42, webhookSecret: WEBHOOK_SECRET },
    ]) {
      expectProblem(await h.request({ method: 'PUT', url, token: networkToken, payload }), 400, 'validation_failed');
    }
    const good = { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET };
    for (const token of [networkFinance, networkAnalyst, ownerToken, merchantFinance, affiliateToken]) {
      expectProblem(await h.request({ method: 'PUT', url, token, payload: good }), 403, 'forbidden');
    }
    expectProblem(await h.request({ method: 'PUT', url, payload: good }), 401, 'unauthenticated');
    expect(await count(h, 'network_stripe_accounts')).toBe(0);
  });

  it('is saved by the network owner, never echoes either secret, and is audited without them', async () => {
    const res = await h.request({ method: 'PUT', url, token: networkToken, payload: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ configured: true, mode: 'test', webhookUrl: webhookUrl() });
    expect(JSON.stringify(res.body)).not.toMatch(/sk_test|whsec_/);
    const got = await h.request({ method: 'GET', url, token: networkToken });
    expect(got.body).toEqual(res.body);
    const { rows } = await h.owner.query('SELECT tenant_id, secret_key, webhook_secret FROM network_stripe_accounts');
    expect(rows).toEqual([{ tenant_id: tenantId, secret_key: SECRET_KEY, webhook_secret: WEBHOOK_SECRET }]);
    const audit = await h.owner.query(`SELECT action, actor_type, data FROM audit_log WHERE action LIKE 'network.stripe%'`);
    expect(audit.rows).toEqual([
      { action: 'network.stripe_account_set', actor_type: 'user', data: { mode: 'test', secretKeyChanged: true, webhookSecretChanged: true } },
    ]);
    expect(JSON.stringify(audit.rows)).not.toContain(SECRET_KEY);
    expect(JSON.stringify(audit.rows)).not.toContain(WEBHOOK_SECRET);
    // Other roles may not even read whether it is set.
    expectProblem(await h.request({ method: 'GET', url, token: ownerToken }), 403, 'forbidden');
  });

  it("is per network: another network's webhook URL is 404 until it connects its own", async () => {
    const other404 = await deliver(checkoutEvent('checkout.session.completed', { id: 'cs_x', mode: 'payment' }), { tenant: other.tenantId });
    expectProblem(other404, 404, 'not_found');
    expectProblem(await deliver(checkoutEvent('checkout.session.completed', { id: 'cs_x', mode: 'payment' }), { tenant: 'ten_nope' }), 404, 'not_found');
    const otherView = await h.request({ method: 'GET', url, token: other.token });
    expect(otherView.body).toMatchObject({ configured: false, webhookUrl: `https://track.example/v1/integrations/stripe/network/${other.tenantId}/webhook` });
  });
});

describe('a Stripe top-up', () => {
  it('opens a Checkout Session in the network’s Stripe account with exactly the top-up’s fields', async () => {
    const before = fake.requests.length;
    const res = await topUp(merchantId, ownerToken, { method: 'stripe', amount: 50_000, currency: 'EUR' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      merchantId,
      method: 'stripe',
      amount: 50_000,
      currency: 'EUR',
      status: 'pending',
      reason: null,
      transferId: null,
      paidAt: null,
    });
    expect(res.body.id).toMatch(/^tup_/);
    expect(res.body.checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);

    expect(fake.requests.length).toBe(before + 1);
    const sent = fake.requests.at(-1)!;
    expect(sent.status).toBe(200);
    expect(sent.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    expect(sent.headers['idempotency-key']).toBe(`top_up:${res.body.id}`);
    const page = `https://track.example/merchants/${merchantId}/top-ups/${res.body.id}`;
    expect(sent.form).toEqual({
      mode: 'payment',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][unit_amount]': '50000',
      'line_items[0][price_data][product_data][name]': 'Prepaid balance top-up: Shoes',
      'adaptive_pricing[enabled]': 'false',
      client_reference_id: res.body.id,
      'metadata[topUpId]': res.body.id,
      'metadata[merchantId]': merchantId,
      'metadata[tenantId]': tenantId,
      success_url: `${page}?checkout=success`,
      cancel_url: `${page}?checkout=cancelled`,
    });

    const row = await topUpRow(res.body.id);
    expect(row).toMatchObject({ merchant_id: merchantId, method: 'stripe', amount: '50000', currency: 'EUR', status: 'pending', created_by_type: 'user' });
    expect(fake.sessions.get(row.stripe_session_id)?.url).toBe(res.body.checkoutUrl);
    // Nothing is credited before Stripe confirms the payment.
    expect(await prepaid(merchantId)).toEqual({ posted: 0, available: 0 });
    const got = await h.request({ method: 'GET', url: `/v1/merchants/${merchantId}/top-ups/${res.body.id}`, token: merchantAnalyst });
    expect(got.body).toEqual(res.body);
  });

  it('may be started by merchant and network owner/admin/finance and a secret key; not by analysts, affiliates or outsiders', async () => {
    const body = { method: 'stripe', amount: 1_000, currency: 'EUR' };
    for (const token of [merchantFinance, networkFinance, networkToken, secretKey]) {
      const res = await topUp(merchantId, token, body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const before = { topUps: await count(h, 'top_ups'), requests: fake.requests.length };
    expectProblem(await topUp(merchantId, merchantAnalyst, body), 403, 'forbidden');
    expectProblem(await topUp(merchantId, networkAnalyst, body), 403, 'forbidden');
    expectProblem(await topUp(merchantId, affiliateToken, body), 404, 'not_found');
    expectProblem(await topUp(merchantId, bagsToken, body), 404, 'not_found');
    expectProblem(await topUp(merchantId, other.token, body), 404, 'not_found');
    expectProblem(await topUp(merchantId, other.merchantToken, body), 404, 'not_found');
    expectProblem(await topUp('mer_00000000000000000000000000', networkToken, body), 404, 'not_found');
    expectProblem(await topUp(merchantId, undefined as unknown as string, body), 401, 'unauthenticated');
    expect({ topUps: await count(h, 'top_ups'), requests: fake.requests.length }).toEqual(before);
  });

  it('refuses bad input with field errors, storing nothing and calling no one', async () => {
    const before = { topUps: await count(h, 'top_ups'), requests: fake.requests.length, keys: await count(h, 'idempotency_keys') };
    const cases: [unknown, string][] = [
      [{ method: 'stripe', amount: 0, currency: 'EUR' }, 'amount'],
      [{ method: 'stripe', amount: -500, currency: 'EUR' }, 'amount'],
      [{ method: 'stripe', amount: 10.5, currency: 'EUR' }, 'amount'],
      [{ method: 'stripe', amount: '1000', currency: 'EUR' }, 'amount'],
      [{ method: 'stripe', amount: 100_000_000, currency: 'EUR' }, 'amount'],
      [{ method: 'stripe', amount: 1e30, currency: 'EUR' }, 'amount'],
      [{ method: 'stripe', amount: 1_000, currency: 'eur' }, 'currency'],
      [{ method: 'stripe', amount: 1_000, currency: 'EURO' }, 'currency'],
      [{ method: 'stripe', amount: 1_000, currency: 'XYZ' }, 'currency'],
      [{ method: 'stripe', amount: 1_000 }, 'currency'],
      [{ method: 'stripe', amount: 1_000, currency: 'EUR', reason: 'why' }, ''],
      [{ method: 'stripe', amount: 1_000, currency: 'EUR', successUrl: 'https://evil.example' }, ''],
      [{ method: 'card', amount: 1_000, currency: 'EUR' }, 'method'],
      [{ amount: 1_000, currency: 'EUR' }, 'method'],
      [{ method: 'manual', amount: 1_000, currency: 'EUR' }, 'reason'],
      [{ method: 'manual', amount: 1_000, currency: 'EUR', reason: '   ' }, 'reason'],
      [{ method: 'manual', amount: 1_000, currency: 'EUR', reason: 'x'.repeat(501) }, 'reason'],
      [{ method: 'manual', amount: 100_000_000_001, currency: 'EUR', reason: 'too much' }, 'amount'],
    ];
    for (const [payload, field] of cases) {
      const res = await topUp(merchantId, networkFinance, payload);
      expectProblem(res, 400, 'validation_failed');
      if (field) expect(JSON.stringify(res.body.errors ?? res.body), JSON.stringify(payload)).toContain(field);
    }
    for (const payload of ['amount=5', '[]', 'null']) {
      const res = await h.request({
        method: 'POST',
        url: `/v1/merchants/${merchantId}/top-ups`,
        token: networkFinance,
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, payload).toBe(400);
    }
    expect({ topUps: await count(h, 'top_ups'), requests: fake.requests.length, keys: await count(h, 'idempotency_keys') }).toEqual(before);
  });

  it('honours Idempotency-Key: one session and one top-up for a repeat, 409 for the key with another body', async () => {
    const key = `idem-${run}-stripe`;
    const body = { method: 'stripe', amount: 7_500, currency: 'EUR' };
    const before = { topUps: await count(h, 'top_ups'), requests: fake.requests.length };
    const first = await topUp(merchantId, ownerToken, body, { 'idempotency-key': key });
    const again = await topUp(merchantId, ownerToken, body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expectProblem(await topUp(merchantId, ownerToken, { ...body, amount: 7_501 }, { 'idempotency-key': key }), 409, 'idempotency_conflict');
    expect({ topUps: await count(h, 'top_ups'), requests: fake.requests.length }).toEqual({ topUps: before.topUps + 1, requests: before.requests + 1 });
  });

  it('stores nothing when Stripe refuses the key, a field, or is down', async () => {
    const before = { topUps: await count(h, 'top_ups'), keys: await count(h, 'idempotency_keys') };
    // The network's key was revoked at Stripe.
    fake.keys.delete(SECRET_KEY);
    const revoked = await topUp(merchantId, ownerToken, { method: 'stripe', amount: 1_000, currency: 'EUR' }, { 'idempotency-key': `idem-${run}-revoked` });
    expectProblem(revoked, 409, 'invalid_state');
    expect(fake.requests.at(-1)!.status).toBe(401);
    fake.keys.add(SECRET_KEY);
    // Stripe answers 500 to the call and to the library's one retry.
    const requests = fake.requests.length;
    fake.fail(2, 500);
    expectProblem(await topUp(merchantId, ownerToken, { method: 'stripe', amount: 1_000, currency: 'EUR' }), 503, 'service_unavailable');
    expect(fake.requests.length).toBe(requests + 2);
    expect(fake.requests.at(-1)!.headers['idempotency-key']).toBe(fake.requests.at(-2)!.headers['idempotency-key']);
    // Stripe refuses a parameter (here: injected; in life, an amount under its minimum).
    fake.fail(1, 400, 'invalid_request_error');
    expectProblem(await topUp(merchantId, ownerToken, { method: 'stripe', amount: 10, currency: 'EUR' }), 400, 'validation_failed');
    expect({ topUps: await count(h, 'top_ups'), keys: await count(h, 'idempotency_keys') }).toEqual(before);
    // The same key works once Stripe does: the failed attempt left no answer behind.
    const retried = await topUp(merchantId, ownerToken, { method: 'stripe', amount: 1_000, currency: 'EUR' }, { 'idempotency-key': `idem-${run}-revoked` });
    expect(retried.status).toBe(201);
  });
});

describe("the network's Stripe webhook", () => {
  it('credits a paid checkout once: ledger balance, top-up paid, commissions.resume in the outbox', async () => {
    const t = await pendingTopUp(12_345);
    const before = await prepaid(merchantId);
    const jobs = (await resumeJobs(merchantId)).length;
    const event = checkoutEvent('checkout.session.completed', paidSession(t.sessionId));
    const res = await deliver(event);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: 'credited', topUpId: t.id });

    expect(await prepaid(merchantId)).toEqual({ posted: before.posted + 12_345, available: before.available + 12_345 });
    const row = await topUpRow(t.id);
    expect(row).toMatchObject({ status: 'paid', stripe_payment_intent: event.data.object.payment_intent });
    expect(row.paid_at).toBeInstanceOf(Date);
    const { rows: transfers } = await h.owner.query('SELECT * FROM ledger_transfers WHERE id = $1', [row.transfer_id]);
    expect(transfers[0]).toMatchObject({ kind: 'single_phase', amount: '12345', currency: 'EUR', code: 'top_up', idempotency_key: `top_up:${t.id}` });
    const { rows: accounts } = await h.owner.query('SELECT id, kind FROM ledger_accounts WHERE id IN ($1, $2)', [
      transfers[0].debit_account_id,
      transfers[0].credit_account_id,
    ]);
    expect(Object.fromEntries(accounts.map((a) => [a.id, a.kind]))).toEqual({
      [transfers[0].debit_account_id]: 'network_cash',
      [transfers[0].credit_account_id]: 'merchant_prepaid',
    });
    expect(await resumeJobs(merchantId)).toHaveLength(jobs + 1);
    expect((await resumeJobs(merchantId)).at(-1)).toEqual({ merchantId, currency: 'EUR' });
    const got = await h.request({ method: 'GET', url: `/v1/merchants/${merchantId}/top-ups/${t.id}`, token: ownerToken });
    expect(got.body).toMatchObject({ status: 'paid', checkoutUrl: null, transferId: row.transfer_id });

    // The same delivery again (Stripe's retry, or a replay): nothing more.
    const snap = await snapshot(t.id);
    const again = await deliver(event);
    expect(again.body).toEqual({ received: true, duplicate: true, outcome: 'credited', topUpId: t.id });
    // Another event about the same payment (delayed-method success): already paid.
    const late = await deliver(checkoutEvent('checkout.session.async_payment_succeeded', paidSession(t.sessionId)));
    expect(late.body).toEqual({ received: true, outcome: 'already_paid', topUpId: t.id });
    expect(await snapshot(t.id)).toEqual(snap);
  });

  it('changes nothing for a bad signature, another secret, an old or future timestamp, a changed body or no header', async () => {
    const t = await pendingTopUp(4_000);
    const before = { ...(await snapshot(t.id)), events: await count(h, 'network_stripe_events') };
    const event = checkoutEvent('checkout.session.completed', paidSession(t.sessionId));
    const payload = JSON.stringify(event);
    const good = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp: nowSeconds() });
    const tampered = good.replace(/v1=([0-9a-f])/, (_m, c: string) => `v1=${c === '0' ? '1' : '0'}`);

    expectProblem(await deliver(event, { header: tampered }), 401, 'invalid_signature');
    expectProblem(await deliver(event, { secret: OTHER_WEBHOOK_SECRET }), 401, 'invalid_signature');
    expectProblem(await deliver(event, { timestamp: nowSeconds() - 301 }), 401, 'signature_expired');
    expectProblem(await deliver(event, { timestamp: nowSeconds() + 600 }), 401, 'signature_expired');
    expectProblem(await deliver(event, { header: good, body: payload.replace('"amount_total":4000', '"amount_total":4000000') }), 401, 'invalid_signature');
    expectProblem(await deliver(event, { header: null }), 401, 'invalid_signature');
    expectProblem(await deliver(event, { header: 't=abc,v1=zzz' }), 401, 'invalid_signature');
    // Signed for this network, sent to another's URL.
    await h.request({
      method: 'PUT',
      url: '/v1/network/integrations/stripe',
      token: other.token,
      payload: { secretKey: 'sk_test_OtherNetwork0123456789', webhookSecret: OTHER_WEBHOOK_SECRET },
    });
    expectProblem(await deliver(event, { tenant: other.tenantId }), 401, 'invalid_signature');

    expect({ ...(await snapshot(t.id)), events: await count(h, 'network_stripe_events') }).toEqual(before);
    // The genuine delivery still works afterwards.
    expect((await deliver(event, { header: good })).body).toMatchObject({ outcome: 'credited' });
  });

  it('does nothing for a replayed event id, even one that now carries a paid session', async () => {
    const t = await pendingTopUp(3_000);
    const id = eventId();
    const unpaid = await deliver(checkoutEvent('checkout.session.completed', paidSession(t.sessionId, { payment_status: 'unpaid' }), id));
    expect(unpaid.body).toEqual({ received: true, outcome: 'ignored_unpaid', topUpId: t.id });
    const snap = await snapshot(t.id);
    const replay = await deliver(checkoutEvent('checkout.session.completed', paidSession(t.sessionId), id));
    expect(replay.body).toEqual({ received: true, duplicate: true, outcome: 'ignored_unpaid', topUpId: t.id });
    expect(await snapshot(t.id)).toEqual(snap);
    expect(snap.status).toBe('pending');
    // The delayed payment's own event credits it.
    expect((await deliver(checkoutEvent('checkout.session.async_payment_succeeded', paidSession(t.sessionId)))).body.outcome).toBe('credited');
  });

  it('refuses to credit a session whose amount or currency differs from the top-up, and records it', async () => {
    const t = await pendingTopUp(9_000);
    const snap = await snapshot(t.id);
    const cheaper = checkoutEvent('checkout.session.completed', paidSession(t.sessionId, { amount_total: 90 }));
    expect((await deliver(cheaper)).body).toEqual({ received: true, outcome: 'refused_amount_mismatch', topUpId: t.id });
    const otherCurrency = checkoutEvent('checkout.session.completed', paidSession(t.sessionId, { currency: 'sek' }));
    expect((await deliver(otherCurrency)).body).toEqual({ received: true, outcome: 'refused_amount_mismatch', topUpId: t.id });
    expect(await snapshot(t.id)).toEqual(snap);

    const { rows: events } = await h.owner.query(
      'SELECT event_id, outcome, amount, currency FROM network_stripe_events WHERE top_up_id = $1 ORDER BY received_at',
      [t.id],
    );
    expect(events).toEqual([
      { event_id: cheaper.id, outcome: 'refused_amount_mismatch', amount: '90', currency: 'EUR' },
      { event_id: otherCurrency.id, outcome: 'refused_amount_mismatch', amount: '9000', currency: 'SEK' },
    ]);
    const { rows: audit } = await h.owner.query(
      `SELECT actor_type, data FROM audit_log WHERE action = 'top_up.payment_amount_mismatch' AND data->>'topUpId' = $1`,
      [t.id],
    );
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ actor_type: 'system', data: { expected: { amount: 9_000, currency: 'EUR' }, received: { amount: 90, currency: 'EUR' } } });
  });

  it('refuses a session that is not the one the top-up opened, and ignores sessions that are no top-up', async () => {
    const t = await pendingTopUp(2_500);
    const snap = await snapshot(t.id);
    const forged = { ...paidSession(t.sessionId), id: 'cs_test_someotherchckout' };
    expect((await deliver(checkoutEvent('checkout.session.completed', forged))).body).toMatchObject({ outcome: 'refused_session_mismatch' });
    const otherMerchant = paidSession(t.sessionId, { metadata: { topUpId: t.id, merchantId: bagsId, tenantId } });
    expect((await deliver(checkoutEvent('checkout.session.completed', otherMerchant))).body).toMatchObject({ outcome: 'refused_session_mismatch' });
    const sale = { ...paidSession(t.sessionId), client_reference_id: null, metadata: {} };
    expect((await deliver(checkoutEvent('checkout.session.completed', sale))).body).toEqual({ received: true, outcome: 'ignored_not_a_top_up' });
    const unknown = { ...paidSession(t.sessionId), client_reference_id: newId('topUp') };
    expect((await deliver(checkoutEvent('checkout.session.completed', unknown))).body).toEqual({ received: true, outcome: 'ignored_not_a_top_up' });
    expect((await deliver(checkoutEvent('customer.created', { id: 'cus_1', object: 'customer' }))).body).toEqual({ received: true, outcome: 'ignored' });
    expect(await snapshot(t.id)).toEqual(snap);
  });

  it("never credits another network's top-up, even when its id arrives signed by this network", async () => {
    // A top-up of the other network (which connected its account above).
    fake.keys.add('sk_test_OtherNetwork0123456789');
    const theirs = await topUp(other.merchantId, other.merchantToken, { method: 'stripe', amount: 1_000, currency: 'EUR' });
    expect(theirs.status).toBe(201);
    const session = (await h.owner.query('SELECT stripe_session_id FROM top_ups WHERE id = $1', [theirs.body.id])).rows[0].stripe_session_id;
    const res = await deliver(checkoutEvent('checkout.session.completed', paidSession(session)));
    expect(res.body).toEqual({ received: true, outcome: 'ignored_not_a_top_up' });
    expect((await topUpRow(theirs.body.id)).status).toBe('pending');
    expect(await prepaid(other.merchantId)).toEqual({ posted: 0, available: 0 });
    expectProblem(
      await h.request({ method: 'GET', url: `/v1/merchants/${other.merchantId}/top-ups/${theirs.body.id}`, token: networkToken }),
      404,
      'not_found',
    );
    // Its own network's webhook credits it.
    const own = await deliver(checkoutEvent('checkout.session.completed', paidSession(session)), { tenant: other.tenantId, secret: OTHER_WEBHOOK_SECRET });
    expect(own.body).toEqual({ received: true, outcome: 'credited', topUpId: theirs.body.id });
    expect(await prepaid(other.merchantId)).toEqual({ posted: 1_000, available: 1_000 });
  });

  it('marks an expired or failed checkout and credits nothing', async () => {
    const expired = await pendingTopUp(1_100);
    const failed = await pendingTopUp(1_200);
    const balance = await prepaid(merchantId);
    expect(
      (await deliver(checkoutEvent('checkout.session.expired', paidSession(expired.sessionId, { status: 'expired', payment_status: 'unpaid' })))).body,
    ).toMatchObject({
      outcome: 'expired',
    });
    expect(
      (await deliver(checkoutEvent('checkout.session.async_payment_failed', paidSession(failed.sessionId, { payment_status: 'unpaid' })))).body,
    ).toMatchObject({
      outcome: 'failed',
    });
    expect((await topUpRow(expired.id)).status).toBe('expired');
    expect((await topUpRow(failed.id)).status).toBe('failed');
    expect(await prepaid(merchantId)).toEqual(balance);
    const list = await h.request({ method: 'GET', url: `/v1/merchants/${merchantId}/top-ups?status=expired`, token: ownerToken });
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([expired.id]);
  });

  it('answers 400 for a signed body that is no event, storing nothing', async () => {
    const events = await count(h, 'network_stripe_events');
    expectProblem(await deliver({ hello: 'world' }), 400, 'validation_failed');
    expectProblem(await deliver(checkoutEvent('checkout.session.completed', { mode: 'payment' })), 400, 'validation_failed');
    expect(await count(h, 'network_stripe_events')).toBe(events);
  });
});

describe('a manual credit', () => {
  it('is made by network finance at once, audited with its reason', async () => {
    const before = await prepaid(bagsId);
    const jobs = (await resumeJobs(bagsId)).length;
    const res = await topUp(bagsId, networkFinance, { method: 'manual', amount: 25_000, currency: 'EUR', reason: 'bank transfer 2026-11-02' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      merchantId: bagsId,
      method: 'manual',
      amount: 25_000,
      status: 'paid',
      reason: 'bank transfer 2026-11-02',
      checkoutUrl: null,
    });
    expect(res.body.transferId).toMatch(/^xfr_/);
    expect(await prepaid(bagsId)).toEqual({ posted: before.posted + 25_000, available: before.available + 25_000 });
    const { rows: transfers } = await h.owner.query('SELECT code, reason, idempotency_key, amount FROM ledger_transfers WHERE id = $1', [res.body.transferId]);
    expect(transfers).toEqual([{ code: 'top_up', reason: 'bank transfer 2026-11-02', idempotency_key: `top_up:${res.body.id}`, amount: '25000' }]);
    const { rows: audit } = await h.owner.query(
      `SELECT actor_type, actor_id, subject_id, data FROM audit_log WHERE action = 'top_up.manual_credit' AND data->>'topUpId' = $1`,
      [res.body.id],
    );
    const financeId = (await h.owner.query(`SELECT id FROM users WHERE email = 'finance@topups.example'`)).rows[0].id;
    expect(audit).toEqual([
      {
        actor_type: 'user',
        actor_id: financeId,
        subject_id: bagsId,
        data: { topUpId: res.body.id, amount: 25_000, currency: 'EUR', reason: 'bank transfer 2026-11-02', transferId: res.body.transferId },
      },
    ]);
    expect(await resumeJobs(bagsId)).toHaveLength(jobs + 1);
    expect(fake.requests.every((r) => r.form['metadata[merchantId]'] !== bagsId)).toBe(true);
  });

  it('is refused to the merchant itself, its key and analysts (403), and to outsiders (404)', async () => {
    const body = { method: 'manual', amount: 1_000_000, currency: 'EUR', reason: 'trust me' };
    const before = { balance: await prepaid(bagsId), topUps: await count(h, 'top_ups') };
    expectProblem(await topUp(bagsId, bagsToken, body), 403, 'forbidden');
    expectProblem(await topUp(merchantId, ownerToken, body), 403, 'forbidden');
    expectProblem(await topUp(merchantId, merchantFinance, body), 403, 'forbidden');
    expectProblem(await topUp(merchantId, secretKey, body), 403, 'forbidden');
    expectProblem(await topUp(merchantId, networkAnalyst, body), 403, 'forbidden');
    expectProblem(await topUp(bagsId, other.token, body), 404, 'not_found');
    expectProblem(await topUp(bagsId, affiliateToken, body), 404, 'not_found');
    expect({ balance: await prepaid(bagsId), topUps: await count(h, 'top_ups') }).toEqual(before);
  });

  it('credits once per Idempotency-Key', async () => {
    const key = `idem-${run}-manual`;
    const body = { method: 'manual', amount: 600, currency: 'EUR', reason: 'cheque' };
    const before = await prepaid(bagsId);
    const first = await topUp(bagsId, networkToken, body, { 'idempotency-key': key });
    const again = await topUp(bagsId, networkToken, body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expectProblem(await topUp(bagsId, networkToken, { ...body, reason: 'another cheque' }, { 'idempotency-key': key }), 409, 'idempotency_conflict');
    expect(await prepaid(bagsId)).toEqual({ posted: before.posted + 600, available: before.available + 600 });
  });

  it('opens accounts per currency', async () => {
    const res = await topUp(bagsId, networkToken, { method: 'manual', amount: 1_500, currency: 'JPY', reason: 'yen wire' });
    expect(res.status).toBe(201);
    expect(await prepaid(bagsId, 'JPY')).toEqual({ posted: 1_500, available: 1_500 });
    const list = await h.request({ method: 'GET', url: `/v1/merchants/${bagsId}/top-ups?limit=1`, token: bagsToken });
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([res.body.id]);
    expect(list.body.nextCursor).toEqual(expect.any(String));
    expectProblem(await h.request({ method: 'GET', url: `/v1/merchants/${bagsId}/top-ups`, token: ownerToken }), 404, 'not_found');
  });
});

describe('the low-balance threshold', () => {
  const url = (m: string) => `/v1/merchants/${m}/low-balance-threshold`;

  async function lowEvents(merchant: string) {
    const { rows } = await h.owner.query(`SELECT id, payload FROM domain_events WHERE type = 'balance.low' AND subject_id = $1 ORDER BY id`, [merchant]);
    return rows;
  }

  /** Reserves `amount` of the merchant's prepaid balance (what the accrual job does), then checks the threshold as it would. */
  async function reserve(merchant: string, amount: bigint) {
    return withTenant(prisma, tenantId, async (tx) => {
      const from = await ensureAccount(tx, tenantId, { kind: 'merchant_prepaid', ownerId: merchant, currency: 'EUR' });
      const to = await ensureAccount(tx, tenantId, { kind: 'network_fee_revenue', currency: 'EUR' });
      const [outcome] = await createTransfers(tx, tenantId, [
        {
          kind: 'pending',
          debitAccountId: from.id,
          creditAccountId: to.id,
          amount,
          currency: 'EUR',
          idempotencyKey: `test-reserve:${newId('transfer')}`,
          code: 'accrual',
        },
      ]);
      expect(outcome!.status).toBe('created');
      return notifyIfLowBalance(tx, tenantId, merchant, 'EUR');
    });
  }

  it('refuses bad input, other roles and outsiders, storing nothing', async () => {
    for (const payload of [
      { currency: 'EUR', amount: -1 },
      { currency: 'EUR', amount: 1.5 },
      { currency: 'EUR', amount: '100' },
      { currency: 'eur', amount: 100 },
      { currency: 'XYZ', amount: 100 },
      { amount: 100 },
      { currency: 'EUR', amount: 100, notify: true },
      { currency: 'EUR', amount: 1e20 },
    ]) {
      expectProblem(await h.request({ method: 'PUT', url: url(merchantId), token: ownerToken, payload }), 400, 'validation_failed');
    }
    const payload = { currency: 'EUR', amount: 100 };
    expectProblem(await h.request({ method: 'PUT', url: url(merchantId), token: merchantAnalyst, payload }), 403, 'forbidden');
    expectProblem(await h.request({ method: 'PUT', url: url(merchantId), token: networkAnalyst, payload }), 403, 'forbidden');
    expectProblem(await h.request({ method: 'PUT', url: url(merchantId), token: bagsToken, payload }), 404, 'not_found');
    expectProblem(await h.request({ method: 'PUT', url: url(merchantId), token: other.token, payload }), 404, 'not_found');
    expectProblem(await h.request({ method: 'PUT', url: url(merchantId), token: affiliateToken, payload }), 404, 'not_found');
    expect(await count(h, 'low_balance_thresholds')).toBe(0);
  });

  it('sends balance.low once below the threshold and again only after the balance was back above it', async () => {
    // Bags holds 25,600 EUR from the manual credits above.
    const start = await prepaid(bagsId);
    expect(start.available).toBe(25_600);
    const set = await h.request({ method: 'PUT', url: url(bagsId), token: networkFinance, payload: { currency: 'EUR', amount: 10_000 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ merchantId: bagsId, currency: 'EUR', amount: 10_000, available: 25_600, notified: false, notifiedAt: null });
    expect(await lowEvents(bagsId)).toEqual([]);

    expect(await reserve(bagsId, 20_000n)).toMatchObject({ status: 'notified', available: 5_600n, threshold: 10_000n });
    const first = await lowEvents(bagsId);
    expect(first.map((e) => e.payload)).toEqual([{ merchantId: bagsId, currency: 'EUR', available: 5_600, threshold: 10_000 }]);
    const { rows: dispatch } = await h.owner.query(`SELECT 1 FROM outbox WHERE topic = 'events.dispatch' AND payload->>'eventId' = $1`, [first[0].id]);
    expect(dispatch).toHaveLength(1);

    // Further reservations while below: no second notice.
    expect(await reserve(bagsId, 1_000n)).toMatchObject({ status: 'unchanged', below: true });
    const view = await h.request({ method: 'GET', url: url(bagsId), token: bagsToken });
    expect(view.body.data).toEqual([expect.objectContaining({ currency: 'EUR', amount: 10_000, available: 4_600, notified: true })]);

    // A top-up lifts it back above: re-armed by the credit itself.
    const credit = await topUp(bagsId, networkFinance, { method: 'manual', amount: 20_000, currency: 'EUR', reason: 'second wire' });
    expect(credit.status).toBe(201);
    expect((await h.owner.query('SELECT notified_at FROM low_balance_thresholds WHERE merchant_id = $1', [bagsId])).rows[0].notified_at).toBeNull();
    expect(await lowEvents(bagsId)).toHaveLength(1);

    // Falling below again notifies again.
    expect(await reserve(bagsId, 20_000n)).toMatchObject({ status: 'notified', available: 4_600n });
    expect((await lowEvents(bagsId)).map((e) => e.payload.available)).toEqual([5_600, 4_600]);
  });

  it('notifies at once when set above the balance, once, and re-arms when lowered below it', async () => {
    const events = (await lowEvents(merchantId)).length;
    const available = (await prepaid(merchantId)).available;
    const high = await h.request({ method: 'PUT', url: url(merchantId), token: merchantFinance, payload: { currency: 'EUR', amount: available + 1 } });
    expect(high.body).toMatchObject({ available, notified: true });
    await h.request({ method: 'PUT', url: url(merchantId), token: merchantFinance, payload: { currency: 'EUR', amount: available + 2 } });
    expect(await lowEvents(merchantId)).toHaveLength(events + 1);
    const low = await h.request({ method: 'PUT', url: url(merchantId), token: ownerToken, payload: { currency: 'EUR', amount: available } });
    expect(low.body).toMatchObject({ amount: available, notified: false });
    const { rows: audit } = await h.owner.query(
      `SELECT data FROM audit_log WHERE action = 'merchant.low_balance_threshold_set' AND subject_id = $1 ORDER BY created_at, id`,
      [merchantId],
    );
    expect(audit.map((a) => a.data.amount)).toEqual([available + 1, available + 2, available]);
  });

  it('does nothing for a merchant without a threshold', async () => {
    const events = await count(h, 'domain_events');
    const result = await withTenant(prisma, tenantId, (tx) => notifyIfLowBalance(tx, tenantId, bagsId, 'JPY'));
    expect(result).toEqual({ status: 'no_threshold' });
    expect(await count(h, 'domain_events')).toBe(events);
  });
});

describe('disconnecting the network’s Stripe account', () => {
  it('stops Stripe top-ups and its webhook', async () => {
    const t = await pendingTopUp(800);
    expectProblem(await h.request({ method: 'DELETE', url: '/v1/network/integrations/stripe', token: networkFinance }), 403, 'forbidden');
    const res = await h.request({ method: 'DELETE', url: '/v1/network/integrations/stripe', token: networkToken });
    expect(res.status).toBe(204);
    expectProblem(await deliver(checkoutEvent('checkout.session.completed', paidSession(t.sessionId))), 404, 'not_found');
    expectProblem(await topUp(merchantId, ownerToken, { method: 'stripe', amount: 800, currency: 'EUR' }), 409, 'invalid_state');
    expect((await topUpRow(t.id)).status).toBe('pending');
    expectProblem(await h.request({ method: 'DELETE', url: '/v1/network/integrations/stripe', token: networkToken }), 404, 'not_found');
  });
});

describe('the fake Stripe API itself', () => {
  // The positive tests above mean something only if the fake refuses what Stripe (or the
  // shape of a top-up session) would not accept: driven here with Stripe's own library.
  const client = (key = SECRET_KEY) => {
    const base = new URL(fake.url);
    return new Stripe(key, { host: base.hostname, port: base.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  };
  const valid = () => {
    const id = newId('topUp');
    return {
      mode: 'payment' as const,
      line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 1_000, product_data: { name: 'Top-up' } } }],
      adaptive_pricing: { enabled: false },
      client_reference_id: id,
      metadata: { topUpId: id, merchantId, tenantId },
      success_url: 'https://track.example/ok',
      cancel_url: 'https://track.example/cancel',
    };
  };

  it('accepts a well-formed top-up session and replays it for the same idempotency key', async () => {
    fake.keys.add(SECRET_KEY);
    const params = valid();
    const first = await client().checkout.sessions.create(params, { idempotencyKey: `fake-${params.client_reference_id}` });
    const again = await client().checkout.sessions.create(params, { idempotencyKey: `fake-${params.client_reference_id}` });
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({
      amount_total: 1_000,
      currency: 'eur',
      client_reference_id: params.client_reference_id,
      url: expect.stringContaining(first.id),
    });
  });

  it('refuses a wrong key, a missing idempotency key, unknown or wrong fields, and a reused key with another body', async () => {
    const key = () => ({ idempotencyKey: `fake-${randomBytes(4).toString('hex')}` });
    await expect(client('sk_test_NotTheNetworksKey0000').checkout.sessions.create(valid(), key())).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
    // The library adds an idempotency key by itself; a bare request shows the check.
    const bare = await fetch(`${fake.url}/v1/checkout/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/x-www-form-urlencoded', 'stripe-version': '2026-10-28.endive' },
      body: 'mode=payment',
    });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({ error: { type: 'invalid_request_error', message: expect.stringContaining('Idempotency-Key') } });
    const wrong: [string, object][] = [
      ['allow_promotion_codes', { ...valid(), allow_promotion_codes: true }],
      ['mode', { ...valid(), mode: 'subscription' }],
      ['quantity', { ...valid(), line_items: [{ ...valid().line_items[0]!, quantity: 2 }] }],
      ['unit_amount', { ...valid(), line_items: [{ quantity: 1, price_data: { ...valid().line_items[0]!.price_data, unit_amount: 0 } }] }],
      ['metadata[topUpId]', { ...valid(), metadata: { topUpId: 'tup_other', merchantId, tenantId } }],
      ['metadata[tenantId]', { ...valid(), metadata: { topUpId: undefined, merchantId } }],
      ['success_url', { ...valid(), success_url: 'javascript:alert(1)' }],
      ['adaptive_pricing', { ...valid(), adaptive_pricing: { enabled: true } }],
    ];
    for (const [param, params] of wrong) {
      const error = await client()
        .checkout.sessions.create(params as Stripe.Checkout.SessionCreateParams, key())
        .catch((e: unknown) => e);
      expect(error, param).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect((error as Stripe.errors.StripeInvalidRequestError).param ?? (error as Error).message, param).toContain(param.split('[')[0]);
    }
    const reused = key();
    await client().checkout.sessions.create(valid(), reused);
    await expect(client().checkout.sessions.create(valid(), reused)).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });
});
