import { randomBytes } from 'node:crypto';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { clickIdAt } from '@app/db/ids';
import { attributeConversion } from '@app/domain/attribution/attribute-conversion';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMerchantUser, approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from './builders';
import { count, createApiKey, createMerchant, expectProblem, type Harness, logIn, startHarness } from './harness';

/**
 * A merchant's own Stripe webhook, driven with bodies signed the way Stripe signs them
 * (the official library's test header), against real Postgres.
 */

const SECRET = 'whsec_c2hvZXMtc3RyaXBlLXNpZ25pbmctc2VjcmV0';
const BAGS_SECRET = 'whsec_YmFncy1zdHJpcGUtc2lnbmluZy1zZWNyZXQ';

let h: Harness;
let prisma: PrismaClient;
let tenantId: string;
let networkToken: string;
let merchantId: string;
let ownerToken: string;
let program: string;
let secondProgram: string;
let bagsId: string;
let bagsToken: string;
let bagsProgram: string;
let otherTenant: { token: string; merchantId: string; merchantToken: string; program: string };
let bob: { token: string; id: string };
let bobLink: { id: string };

const run = randomBytes(3).toString('hex');
let seq = 0;
const id = (prefix: string) => `${prefix}_${run}${++seq}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function stripeEvent(type: string, object: Record<string, unknown>, eventId = id('evt')) {
  return { id: eventId, object: 'event', api_version: '2024-06-20', type, created: nowSeconds(), livemode: false, data: { object } };
}

function checkout(extra: Record<string, unknown> = {}) {
  return {
    id: id('cs'),
    object: 'checkout.session',
    mode: 'payment',
    payment_status: 'paid',
    amount_total: 2000,
    currency: 'eur',
    payment_intent: id('pi'),
    customer: id('cus'),
    customer_details: { email: 'jane@buyer.example' },
    client_reference_id: null,
    metadata: {},
    subscription: null,
    ...extra,
  };
}

function invoice(extra: Record<string, unknown> = {}) {
  return {
    id: id('in'),
    object: 'invoice',
    customer: id('cus'),
    customer_email: 'jane@buyer.example',
    amount_paid: 2000,
    currency: 'eur',
    billing_reason: 'subscription_cycle',
    payment_intent: id('pi') as string | null,
    charge: null as string | null,
    subscription: id('sub'),
    metadata: {},
    status_transitions: { paid_at: nowSeconds() },
    ...extra,
  };
}

function charge(extra: Record<string, unknown> = {}) {
  return {
    id: id('ch'),
    object: 'charge',
    amount: 2000,
    amount_refunded: 500,
    currency: 'eur',
    refunded: false,
    invoice: null,
    payment_intent: id('pi'),
    ...extra,
  };
}

interface Delivery {
  merchant?: string;
  secret?: string;
  timestamp?: number;
  header?: string | null;
  body?: string;
  contentType?: string;
}

function deliver(event: object | string, options: Delivery = {}) {
  const payload = typeof event === 'string' ? event : JSON.stringify(event);
  const header =
    options.header === undefined
      ? Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, timestamp: options.timestamp ?? nowSeconds() })
      : options.header;
  return h.request({
    method: 'POST',
    url: `/v1/integrations/stripe/${options.merchant ?? merchantId}/webhook`,
    payload: options.body ?? payload,
    headers: { 'content-type': options.contentType ?? 'application/json; charset=utf-8', ...(header === null ? {} : { 'stripe-signature': header }) },
  });
}

async function conversionBy(externalId: string) {
  const { rows } = await h.owner.query('SELECT * FROM conversions WHERE external_id = $1', [externalId]);
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

async function refundsOf(conversionId: string) {
  return (await h.owner.query('SELECT * FROM conversion_refunds WHERE conversion_id = $1 ORDER BY id', [conversionId])).rows;
}

async function waitingFor(ref: string) {
  return (await h.owner.query(`SELECT * FROM conversion_refunds WHERE external_ref = $1 AND status = 'waiting'`, [ref])).rows;
}

async function stored() {
  return { conversions: await count(h, 'conversions'), events: await count(h, 'stripe_events'), refunds: await count(h, 'conversion_refunds') };
}

function integration(merchant: string, token: string, payload: unknown) {
  return h.request({ method: 'PUT', url: `/v1/merchants/${merchant}/integrations/stripe`, token, payload: payload as object });
}

beforeAll(async () => {
  h = await startHarness('stripe', { RATE_LIMIT_MAX: '100000' });
  prisma = createPrisma({ url: h.db.appUrl, poolSize: 4 });
  let net: { token: string; tenantId: string };
  ({ net, merchantId, merchantToken: ownerToken } = await networkWithMerchant(h, 'stripe'));
  tenantId = net.tenantId;
  networkToken = net.token;
  program = await createProgram(h, ownerToken, merchantId, { plan: { sale: { percentBps: 1000 }, recurring: { percentBps: 500, months: 12 } } });
  secondProgram = await createProgram(h, ownerToken, merchantId, { name: 'Shoes newsletter' });
  bob = await partner(h, 'stripe', 'bob@blog.example');
  await approvedEnrollment(h, ownerToken, program, bob.token);
  bobLink = await createLink(h, bob.token, { programId: program });
  await h.owner.query(`SELECT ensure_click_partitions((now() - interval '1 month')::date, 3)`);

  bagsId = (await createMerchant(h, networkToken, 'Bags', 'owner@bags.example')).id;
  bagsToken = (await logIn(h, 'stripe', 'owner@bags.example')).accessToken;
  bagsProgram = await createProgram(h, bagsToken, bagsId, { name: 'Bags 5%' });

  const other = await networkWithMerchant(h, 'stripe-other');
  otherTenant = { token: other.net.token, merchantId: other.merchantId, merchantToken: other.merchantToken, program: '' };
  otherTenant.program = await createProgram(h, other.merchantToken, other.merchantId);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await h?.close();
});

describe('the Stripe setting of a merchant', () => {
  const url = () => `/v1/merchants/${merchantId}/integrations/stripe`;

  it('starts unset, with the URL to give Stripe', async () => {
    const res = await h.request({ method: 'GET', url: url(), token: ownerToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      merchantId,
      programId: null,
      webhookUrl: `https://track.example/v1/integrations/stripe/${merchantId}/webhook`,
      configured: false,
      events: expect.arrayContaining(['checkout.session.completed', 'invoice.paid', 'charge.refunded']),
    });
  });

  it('is saved by the merchant owner, never echoes the secret, and is audited without it', async () => {
    const res = await integration(merchantId, ownerToken, { signingSecret: SECRET, programId: program });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      merchantId,
      programId: program,
      webhookUrl: `https://track.example/v1/integrations/stripe/${merchantId}/webhook`,
      configured: true,
    });
    expect(JSON.stringify(res.body)).not.toContain('whsec_');
    const got = await h.request({ method: 'GET', url: url(), token: ownerToken });
    expect(got.body).toEqual(res.body);
    const { rows } = await h.owner.query('SELECT stripe_webhook_secret, stripe_program_id FROM merchants WHERE id = $1', [merchantId]);
    expect(rows[0]).toEqual({ stripe_webhook_secret: SECRET, stripe_program_id: program });
    const audit = await h.owner.query(`SELECT action, data FROM audit_log WHERE subject_id = $1 AND action LIKE 'merchant.stripe%'`, [merchantId]);
    expect(audit.rows).toEqual([{ action: 'merchant.stripe_integration_set', data: expect.objectContaining({ programId: program, secretChanged: true }) }]);
    expect(JSON.stringify(audit.rows)).not.toContain(SECRET);
  });

  it('lets network owners and secret keys set it; refuses other roles (403) and outsiders (404)', async () => {
    expect((await integration(merchantId, networkToken, { signingSecret: SECRET, programId: program })).status).toBe(200);
    const key = (await createApiKey(h, ownerToken, merchantId, 'secret')).key;
    expect((await integration(merchantId, key, { signingSecret: SECRET, programId: program })).status).toBe(200);

    const analyst = await addMerchantUser(h, ownerToken, merchantId, 'stripe', 'ann@shoes.example', 'analyst');
    expectProblem(await integration(merchantId, analyst, { signingSecret: SECRET, programId: program }), 403, 'forbidden');
    expect((await h.request({ method: 'GET', url: url(), token: analyst })).status).toBe(200);
    const finance = await addMerchantUser(h, ownerToken, merchantId, 'stripe', 'fin@shoes.example', 'finance');
    expectProblem(await h.request({ method: 'DELETE', url: url(), token: finance }), 403, 'forbidden');
    const publishable = (await createApiKey(h, ownerToken, merchantId, 'publishable')).key;
    expectProblem(await integration(merchantId, publishable, { signingSecret: SECRET, programId: program }), 404, 'not_found');
    expectProblem(await integration(merchantId, bob.token, { signingSecret: SECRET, programId: program }), 404, 'not_found');
    expectProblem(await integration(merchantId, bagsToken, { signingSecret: SECRET, programId: program }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: url(), token: bagsToken }), 404, 'not_found');
    // Another network's owner: the merchant does not exist for them.
    expectProblem(await integration(merchantId, otherTenant.token, { signingSecret: SECRET, programId: program }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: url(), token: otherTenant.token }), 404, 'not_found');
    expectProblem(await h.request({ method: 'PUT', url: url(), payload: { signingSecret: SECRET, programId: program } }), 401, 'unauthenticated');
  });

  it('refuses a malformed secret, a program of another merchant or network, and unknown fields, changing nothing', async () => {
    const cases: [unknown, string][] = [
      [{ signingSecret: 'sk_live_abcdefghijklmnopqrstuvwx', programId: program }, 'signingSecret'],
      [{ signingSecret: 'whsec_short', programId: program }, 'signingSecret'],
      [{ signingSecret: 'whsec_has spaces inside the secret', programId: program }, 'signingSecret'],
      [{ signingSecret: 12345, programId: program }, 'signingSecret'],
      [{ programId: program }, 'signingSecret'],
      [{ signingSecret: BAGS_SECRET }, 'programId'],
      [{ signingSecret: BAGS_SECRET, programId: bagsProgram }, 'programId'],
      [{ signingSecret: BAGS_SECRET, programId: otherTenant.program }, 'programId'],
      [{ signingSecret: BAGS_SECRET, programId: 'prg_doesnotexist' }, 'programId'],
      [{ signingSecret: BAGS_SECRET, programId: program, webhookUrl: 'https://evil.example' }, 'webhookUrl'],
    ];
    for (const [payload, path] of cases) {
      const res = await integration(merchantId, ownerToken, payload);
      expectProblem(res, 400, 'validation_failed');
      expect(JSON.stringify(res.body.errors), JSON.stringify(payload)).toContain(path);
    }
    const { rows } = await h.owner.query('SELECT stripe_webhook_secret, stripe_program_id FROM merchants WHERE id = $1', [merchantId]);
    expect(rows[0]).toEqual({ stripe_webhook_secret: SECRET, stripe_program_id: program });
  });

  it('is removed by DELETE (the webhook then answers 404) and can be set again', async () => {
    const removed = await h.request({ method: 'DELETE', url: url(), token: ownerToken });
    expect(removed.status).toBe(204);
    expect((await h.request({ method: 'GET', url: url(), token: ownerToken })).body).toMatchObject({ configured: false, programId: null });
    expect((await h.request({ method: 'DELETE', url: url(), token: ownerToken })).status).toBe(204);
    const before = await stored();
    expectProblem(await deliver(stripeEvent('checkout.session.completed', checkout())), 404, 'not_found');
    expect(await stored()).toEqual(before);
    const audit = await h.owner.query(`SELECT count(*)::int AS n FROM audit_log WHERE subject_id = $1 AND action = 'merchant.stripe_integration_removed'`, [
      merchantId,
    ]);
    expect(audit.rows[0].n).toBe(1);
    expect((await integration(merchantId, ownerToken, { signingSecret: SECRET, programId: program })).status).toBe(200);
  });
});

describe('POST /v1/integrations/stripe/:merchantId/webhook — checks', () => {
  it('answers 404 for an unknown merchant and for a merchant without a secret', async () => {
    expectProblem(await deliver(stripeEvent('checkout.session.completed', checkout()), { merchant: 'mer_unknown' }), 404, 'not_found');
    expectProblem(await deliver(stripeEvent('checkout.session.completed', checkout()), { merchant: bagsId, secret: BAGS_SECRET }), 404, 'not_found');
  });

  it('refuses a missing or bad signature, another secret, an old or future timestamp and a tampered body, storing nothing', async () => {
    const before = await stored();
    const event = stripeEvent('checkout.session.completed', checkout({ client_reference_id: 'clk_tampered' }));
    const payload = JSON.stringify(event);
    const good = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: nowSeconds() });

    expectProblem(await deliver(event, { header: null }), 401, 'invalid_signature');
    expectProblem(await deliver(event, { header: 'not a signature' }), 401, 'invalid_signature');
    expectProblem(await deliver(event, { header: good.replace(/v1=[0-9a-f]{4}/, 'v1=0000') }), 401, 'invalid_signature');
    expectProblem(await deliver(event, { secret: 'whsec_d3Jvbmctc2VjcmV0LWZvci10aGlz' }), 401, 'invalid_signature');
    expectProblem(await deliver(event, { secret: BAGS_SECRET }), 401, 'invalid_signature');
    const old = await deliver(event, { timestamp: nowSeconds() - 301 });
    expectProblem(old, 401, 'signature_expired');
    expectProblem(await deliver(event, { timestamp: nowSeconds() - 3_600 }), 401, 'signature_expired');
    expectProblem(await deliver(event, { timestamp: nowSeconds() + 3_600 }), 401, 'signature_expired');
    // An old timestamp under a wrong secret is a wrong signature, not an old one.
    expectProblem(await deliver(event, { timestamp: nowSeconds() - 3_600, secret: BAGS_SECRET }), 401, 'invalid_signature');
    const tampered = payload.replace('"amount_total":2000', '"amount_total":200000');
    expect(tampered).not.toBe(payload);
    expectProblem(await deliver(event, { header: good, body: tampered }), 401, 'invalid_signature');
    expectProblem(await deliver(event, { header: good, body: `${payload} ` }), 401, 'invalid_signature');

    expect(await stored()).toEqual(before);
    expect(await conversionBy(event.data.object.payment_intent as string)).toBeUndefined();
  });

  it('answers 400 for a signed body that is not JSON or not an event, and 415 for another content type, storing nothing', async () => {
    const before = await stored();
    expectProblem(await deliver('this is not json'), 400, 'bad_request');
    expectProblem(await deliver('{"hello":"world"}'), 400, 'validation_failed');
    expectProblem(await deliver('[1,2,3]'), 400, 'validation_failed');
    expectProblem(await deliver({ ...stripeEvent('charge.refunded', {}), created: 'yesterday' }), 400, 'validation_failed');
    const notACharge = await deliver(stripeEvent('charge.refunded', { id: id('ch'), amount: 2000, amount_refunded: -5, currency: 'eur' }));
    expectProblem(notACharge, 400, 'validation_failed');
    expect(notACharge.body.errors).toEqual([expect.objectContaining({ path: 'data.object.amount_refunded' })]);
    const notASession = await deliver(stripeEvent('checkout.session.completed', { id: id('cs'), mode: 'payment', amount_total: 12.5, currency: 'eur' }));
    expectProblem(notASession, 400, 'validation_failed');
    expectProblem(await deliver(stripeEvent('invoice.paid', checkout()), { contentType: 'text/plain' }), 415, 'unsupported_media_type');
    expect(await stored()).toEqual(before);
  });
});

describe('checkout.session.completed', () => {
  it('records a one-off payment as a sale with the click id, the Stripe customer and the payment intent', async () => {
    const clickId = clickIdAt(Date.now() - 60_000);
    const session = checkout({ client_reference_id: clickId, currency: 'eur', amount_total: 4999 });
    const event = stripeEvent('checkout.session.completed', session);
    const res = await deliver(event);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: 'sale_recorded', conversionId: expect.stringMatching(/^cnv_/) });
    const row = await conversionBy(session.payment_intent);
    expect(row).toMatchObject({
      id: res.body.conversionId,
      program_id: program,
      type: 'sale',
      source: 'stripe',
      amount: '4999',
      currency: 'EUR',
      click_id: clickId,
      payment_ref: session.payment_intent,
      status: 'received',
      metadata: { checkoutSession: session.id },
    });
    const customer = (await h.owner.query('SELECT * FROM customers WHERE id = $1', [row.customer_id])).rows[0];
    expect(customer).toMatchObject({ merchant_id: merchantId, stripe_customer_id: session.customer, email: null });
    expect(customer.email_hash).toMatch(/^[0-9a-f]{64}$/);
    const events = await h.owner.query('SELECT tenant_id, type, outcome FROM stripe_events WHERE event_id = $1', [event.id]);
    expect(events.rows).toEqual([{ tenant_id: tenantId, type: 'checkout.session.completed', outcome: 'sale_recorded' }]);
    const outbox = await h.owner.query(`SELECT topic FROM outbox WHERE payload->>'conversionId' = $1`, [row.id]);
    expect(outbox.rows.map((r) => r.topic)).toEqual(['conversions.attribute']);
  });

  it('reads the click id from metadata, and goes to the program metadata names only when it is the merchant’s', async () => {
    const named = checkout({ metadata: { aff_click_id: 'clk_from_metadata', program_id: secondProgram } });
    expect((await deliver(stripeEvent('checkout.session.completed', named))).body.outcome).toBe('sale_recorded');
    expect(await conversionBy(named.payment_intent)).toMatchObject({ program_id: secondProgram, click_id: 'clk_from_metadata' });

    const foreign = checkout({ metadata: { click_id: 'clk_plain', program_id: bagsProgram } });
    await deliver(stripeEvent('checkout.session.completed', foreign));
    expect(await conversionBy(foreign.payment_intent)).toMatchObject({ program_id: program, click_id: 'clk_plain' });
    const otherNetwork = checkout({ metadata: { program_id: otherTenant.program } });
    await deliver(stripeEvent('checkout.session.completed', otherNetwork));
    expect(await conversionBy(otherNetwork.payment_intent)).toMatchObject({ program_id: program, click_id: null });
  });

  it('uses the session id without a payment intent, and keeps a guest’s e-mail only as a hash', async () => {
    const guest = checkout({ payment_intent: null, customer: null, customer_details: { email: 'Guest@Buyer.example' } });
    const res = await deliver(stripeEvent('checkout.session.completed', guest));
    const row = await conversionBy(guest.id);
    expect(row).toMatchObject({ id: res.body.conversionId, payment_ref: null });
    const customer = (await h.owner.query('SELECT stripe_customer_id, email, email_hash FROM customers WHERE id = $1', [row.customer_id])).rows[0];
    expect(customer).toMatchObject({ stripe_customer_id: null, email: null, email_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('waits for a delayed payment method: unpaid is ignored, async_payment_succeeded records the sale', async () => {
    const session = checkout({ payment_status: 'unpaid' });
    expect((await deliver(stripeEvent('checkout.session.completed', session))).body).toEqual({ received: true, outcome: 'ignored_unpaid' });
    expect(await conversionBy(session.payment_intent)).toBeUndefined();
    const paid = await deliver(stripeEvent('checkout.session.async_payment_succeeded', { ...session, payment_status: 'paid' }));
    expect(paid.body.outcome).toBe('sale_recorded');
    expect(await conversionBy(session.payment_intent)).toMatchObject({ amount: '2000' });
  });

  it('ignores set-up sessions and free checkouts, and records them as seen', async () => {
    const setup = stripeEvent('checkout.session.completed', checkout({ mode: 'setup', amount_total: null, payment_intent: null }));
    expect((await deliver(setup)).body).toEqual({ received: true, outcome: 'ignored' });
    const free = checkout({ amount_total: 0, payment_status: 'no_payment_required' });
    expect((await deliver(stripeEvent('checkout.session.completed', free))).body).toEqual({ received: true, outcome: 'ignored_zero_amount' });
    expect(await conversionBy(free.payment_intent)).toBeUndefined();
    const { rows } = await h.owner.query('SELECT outcome FROM stripe_events WHERE event_id = $1', [setup.id]);
    expect(rows).toEqual([{ outcome: 'ignored' }]);
  });

  it('refuses a sale in a currency without an exchange rate (Stripe retries), and records it once the rate exists', async () => {
    const session = checkout({ currency: 'usd', amount_total: 2000 });
    const event = stripeEvent('checkout.session.completed', session);
    const before = await stored();
    const refused = await deliver(event);
    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.detail).toContain('No exchange rate from USD to EUR');
    expect(await stored()).toEqual(before);

    const rate = await h.request({
      method: 'POST',
      url: '/v1/fx-rates',
      token: networkToken,
      payload: { from: 'USD', to: 'EUR', rate: '0.9', effectiveFrom: '2026-01-01T00:00:00Z' },
    });
    expect(rate.status).toBe(201);
    const retried = await deliver(event);
    expect(retried.body.outcome).toBe('sale_recorded');
    expect(await conversionBy(session.payment_intent)).toMatchObject({ amount: '1800', currency: 'EUR', original_amount: '2000', original_currency: 'USD' });
  });
});

describe('subscriptions: checkout lead, then invoices', () => {
  it('records the checkout as a lead and each paid invoice as a sale of the same customer, attributed through the binding', async () => {
    const clickedAt = Date.now() - 3_600_000;
    const clickId = clickIdAt(clickedAt);
    await h.owner.query(
      `INSERT INTO clicks (id, tenant_id, clicked_at, program_id, affiliate_id, link_id, device, landing_url, is_unique, billable)
       VALUES ($1, $2, $3, $4, $5, $6, 'desktop', 'https://shoes.example/', true, true)`,
      [clickId, tenantId, new Date(clickedAt), program, bob.id, bobLink.id],
    );
    const subscription = id('sub');
    const customer = id('cus');
    const session = checkout({
      mode: 'subscription',
      client_reference_id: clickId,
      customer,
      subscription,
      payment_intent: null,
      amount_total: 1500,
      metadata: { program_id: program },
    });
    const lead = await deliver(stripeEvent('checkout.session.completed', session));
    expect(lead.body).toEqual({ received: true, outcome: 'lead_recorded', conversionId: expect.any(String) });
    const leadRow = await conversionBy(session.id);
    expect(leadRow).toMatchObject({ type: 'lead', amount: null, click_id: clickId, metadata: { checkoutSession: session.id, subscription } });

    expect(await attributeConversion(prisma, tenantId, leadRow.id)).toMatchObject({ attribution: 'attributed', affiliateId: bob.id, reason: 'click' });
    const binding = await h.owner.query('SELECT affiliate_id, program_id FROM customer_bindings WHERE customer_id = $1', [leadRow.customer_id]);
    expect(binding.rows).toEqual([{ affiliate_id: bob.id, program_id: program }]);

    // The invoice names neither a click nor a program: the customer and the subscription do.
    const first = invoice({ customer, subscription, billing_reason: 'subscription_create', amount_paid: 1500, customer_email: null });
    const firstRes = await deliver(stripeEvent('invoice.paid', first));
    expect(firstRes.body).toEqual({ received: true, outcome: 'sale_recorded', conversionId: expect.any(String) });
    const renewal = invoice({ customer, subscription, amount_paid: 1500, payment_intent: null, charge: id('ch') });
    await deliver(stripeEvent('invoice.paid', renewal));

    for (const inv of [first, renewal]) {
      const row = await conversionBy(inv.id);
      expect(row).toMatchObject({
        type: 'sale',
        program_id: program,
        amount: '1500',
        currency: 'EUR',
        customer_id: leadRow.customer_id,
        click_id: null,
        payment_ref: inv.payment_intent ?? inv.charge,
        metadata: expect.objectContaining({ subscription }),
      });
      expect(await attributeConversion(prisma, tenantId, row.id)).toMatchObject({ attribution: 'attributed', affiliateId: bob.id, reason: 'customer' });
      expect(await conversionBy(inv.id)).toMatchObject({ recurring: true, binding_id: expect.any(String) });
    }
  });

  it('sends an invoice to the program its subscription’s checkout went to', async () => {
    const subscription = id('sub');
    const customer = id('cus');
    await deliver(
      stripeEvent('checkout.session.completed', checkout({ mode: 'subscription', customer, subscription, metadata: { program_id: secondProgram } })),
    );
    const inv = invoice({ customer, subscription });
    await deliver(stripeEvent('invoice.paid', inv));
    expect(await conversionBy(inv.id)).toMatchObject({ program_id: secondProgram });
  });

  it('gives a new Stripe customer id a customer of its own when its address belongs to another Stripe customer', async () => {
    const email = `twice-${run}@buyer.example`;
    const earlier = checkout({ customer: id('cus'), customer_details: { email } });
    await deliver(stripeEvent('checkout.session.completed', earlier));
    const later = checkout({ customer: id('cus'), customer_details: { email } });
    await deliver(stripeEvent('checkout.session.completed', later));
    const a = await conversionBy(earlier.payment_intent);
    const b = await conversionBy(later.payment_intent);
    expect(b.customer_id).not.toBe(a.customer_id);
    const { rows } = await h.owner.query('SELECT stripe_customer_id FROM customers WHERE id = ANY($1) ORDER BY id', [[a.customer_id, b.customer_id]]);
    expect(rows.map((r) => r.stripe_customer_id)).toEqual([earlier.customer, later.customer]);

    // A customer known only by address (an API conversion) takes the Stripe id on.
    const key = (await createApiKey(h, ownerToken, merchantId, 'secret')).key;
    const apiEmail = `api-${run}@buyer.example`;
    const api = await h.request({
      method: 'POST',
      url: '/v1/conversions',
      token: key,
      payload: { programId: program, type: 'lead', externalId: id('signup'), customer: { email: apiEmail } },
    });
    expect(api.status).toBe(202);
    const viaStripe = checkout({ customer: id('cus'), customer_details: { email: apiEmail } });
    await deliver(stripeEvent('checkout.session.completed', viaStripe));
    const apiRow = (await h.owner.query('SELECT customer_id FROM conversions WHERE id = $1', [api.body.id])).rows[0];
    expect((await conversionBy(viaStripe.payment_intent)).customer_id).toBe(apiRow.customer_id);
    const merged = (await h.owner.query('SELECT stripe_customer_id FROM customers WHERE id = $1', [apiRow.customer_id])).rows[0];
    expect(merged.stripe_customer_id).toBe(viaStripe.customer);
  });

  it('ignores a zero-amount invoice (a trial), recording the event', async () => {
    const trial = invoice({ amount_paid: 0 });
    const event = stripeEvent('invoice.paid', trial);
    expect((await deliver(event)).body).toEqual({ received: true, outcome: 'ignored_zero_amount' });
    expect(await conversionBy(trial.id)).toBeUndefined();
    expect((await h.owner.query('SELECT outcome FROM stripe_events WHERE event_id = $1', [event.id])).rows).toEqual([{ outcome: 'ignored_zero_amount' }]);
  });

  it('records nothing in an archived program, and refuses one as the configured program', async () => {
    await h.owner.query(`UPDATE programs SET status = 'archived' WHERE id = $1`, [secondProgram]);
    try {
      const session = checkout({ metadata: { program_id: secondProgram } });
      expect((await deliver(stripeEvent('checkout.session.completed', session))).body).toEqual({ received: true, outcome: 'ignored_program_archived' });
      expect(await conversionBy(session.payment_intent)).toBeUndefined();
      const res = await integration(merchantId, ownerToken, { signingSecret: SECRET, programId: secondProgram });
      expectProblem(res, 400, 'validation_failed');
      expect(JSON.stringify(res.body.errors)).toContain('programId');
    } finally {
      await h.owner.query(`UPDATE programs SET status = 'active' WHERE id = $1`, [secondProgram]);
    }
  });

  it('answers other event types as ignored, and records them', async () => {
    const event = stripeEvent('customer.created', { id: id('cus'), object: 'customer' });
    const before = await count(h, 'conversions');
    expect((await deliver(event)).body).toEqual({ received: true, outcome: 'ignored' });
    expect(await count(h, 'conversions')).toBe(before);
    expect((await h.owner.query('SELECT type, outcome FROM stripe_events WHERE event_id = $1', [event.id])).rows).toEqual([
      { type: 'customer.created', outcome: 'ignored' },
    ]);
    // A type named like an object's built-in property is just another unknown type.
    expect((await deliver(stripeEvent('constructor', {}))).body).toEqual({ received: true, outcome: 'ignored' });
  });
});

describe('de-duplication', () => {
  it('handles an event id once: a repeat answers duplicate and changes nothing', async () => {
    const session = checkout();
    const event = stripeEvent('checkout.session.completed', session);
    const first = await deliver(event);
    expect(first.body.outcome).toBe('sale_recorded');
    const before = await stored();
    const again = await deliver(event);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true, duplicate: true, outcome: 'sale_recorded' });
    expect(await stored()).toEqual(before);
  });

  it('handles ten simultaneous deliveries of one refund event once', async () => {
    const session = checkout();
    await deliver(stripeEvent('checkout.session.completed', session));
    const event = stripeEvent('charge.refunded', charge({ payment_intent: session.payment_intent, amount_refunded: 300 }));
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(event)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => !a.body.duplicate)).toHaveLength(1);
    const row = await conversionBy(session.payment_intent);
    expect(row.refunded_amount).toBe('300');
    expect(await refundsOf(row.id)).toHaveLength(1);
    expect((await h.owner.query('SELECT count(*)::int AS n FROM stripe_events WHERE event_id = $1', [event.id])).rows[0].n).toBe(1);
  });

  it('keeps event ids per merchant: the same id sent to two merchants is two events', async () => {
    expect((await integration(bagsId, bagsToken, { signingSecret: BAGS_SECRET, programId: bagsProgram })).status).toBe(200);
    const eventId = id('evt');
    const shoes = checkout();
    const bags = checkout();
    const a = await deliver(stripeEvent('checkout.session.completed', shoes, eventId));
    const b = await deliver(stripeEvent('checkout.session.completed', bags, eventId), { merchant: bagsId, secret: BAGS_SECRET });
    expect(a.body.outcome).toBe('sale_recorded');
    expect(b.body.outcome).toBe('sale_recorded');
    expect(await conversionBy(shoes.payment_intent)).toMatchObject({ merchant_id: merchantId, program_id: program });
    expect(await conversionBy(bags.payment_intent)).toMatchObject({ merchant_id: bagsId, program_id: bagsProgram });
    const { rows } = await h.owner.query('SELECT merchant_id FROM stripe_events WHERE event_id = $1 ORDER BY merchant_id', [eventId]);
    expect(rows.map((r) => r.merchant_id).sort()).toEqual([merchantId, bagsId].sort());
    // Each merchant's secret signs only its own webhook.
    expectProblem(await deliver(stripeEvent('checkout.session.completed', checkout()), { merchant: bagsId }), 401, 'invalid_signature');
  });
});

describe('charge.refunded', () => {
  async function sale(extra: Record<string, unknown> = {}) {
    const session = checkout(extra);
    const res = await deliver(stripeEvent('checkout.session.completed', session));
    expect(res.body.outcome).toBe('sale_recorded');
    return session;
  }
  const refund = (pi: string, amountRefunded: number, extra: Record<string, unknown> = {}) =>
    deliver(stripeEvent('charge.refunded', charge({ payment_intent: pi, amount_refunded: amountRefunded, ...extra })));

  it('brings the refunded amount up to each cumulative total, in order', async () => {
    const s = await sale();
    const first = await refund(s.payment_intent, 500);
    expect(first.body).toMatchObject({ outcome: 'refund_applied', conversionId: expect.any(String) });
    expect((await refund(s.payment_intent, 1200)).body.outcome).toBe('refund_applied');
    const row = await conversionBy(s.payment_intent);
    expect(row).toMatchObject({ refunded_amount: '1200', status: 'received' });
    const refunds = await refundsOf(row.id);
    expect(refunds.map((r) => [r.amount, r.applied_amount, r.source, r.status])).toEqual([
      ['500', '500', 'stripe', 'applied'],
      ['700', '700', 'stripe', 'applied'],
    ]);
    // A late copy of the first total (a new event id) takes nothing back.
    expect((await refund(s.payment_intent, 500)).body.outcome).toBe('ignored_already_refunded');
    expect(await conversionBy(s.payment_intent)).toMatchObject({ refunded_amount: '1200' });
    const events = await h.owner.query(`SELECT type FROM domain_events WHERE subject_id = $1 AND type = 'conversion.refunded'`, [row.id]);
    expect(events.rows).toHaveLength(2);
  });

  it('ends at the newest total when the totals arrive out of order', async () => {
    const s = await sale();
    await refund(s.payment_intent, 1200);
    expect((await refund(s.payment_intent, 500)).body.outcome).toBe('ignored_already_refunded');
    const row = await conversionBy(s.payment_intent);
    expect(row.refunded_amount).toBe('1200');
    expect(await refundsOf(row.id)).toHaveLength(1);
  });

  it('refunds what remains when Stripe refunds the whole charge, then ignores further events', async () => {
    const s = await sale();
    await refund(s.payment_intent, 500);
    expect((await refund(s.payment_intent, 2000, { refunded: true })).body.outcome).toBe('refund_applied');
    expect(await conversionBy(s.payment_intent)).toMatchObject({ refunded_amount: '2000', status: 'refunded' });
    expect((await refund(s.payment_intent, 2000, { refunded: true })).body.outcome).toBe('ignored_already_refunded');
  });

  it('keeps a refund that comes before its sale waiting, and applies it when the sale arrives', async () => {
    const session = checkout();
    const before = await refund(session.payment_intent, 500);
    expect(before.body).toEqual({ received: true, outcome: 'refund_waiting' });
    expect(await conversionBy(session.payment_intent)).toBeUndefined();
    const [waiting] = await waitingFor(session.payment_intent);
    expect(waiting).toMatchObject({ amount: '500', merchant_id: merchantId, source: 'stripe', conversion_id: null });

    await deliver(stripeEvent('checkout.session.completed', session));
    const row = await conversionBy(session.payment_intent);
    expect(row).toMatchObject({ refunded_amount: '500', status: 'received' });
    expect(await refundsOf(row.id)).toEqual([expect.objectContaining({ id: waiting.id, status: 'applied', amount: '500', applied_amount: '500' })]);
    expect(await waitingFor(session.payment_intent)).toEqual([]);
  });

  it('raises a waiting refund to the newest total (never lowers it), so the sale is refunded once by that total', async () => {
    for (const order of [
      [500, 1200],
      [1200, 500],
    ]) {
      const session = checkout();
      for (const total of order) expect((await refund(session.payment_intent, total)).body.outcome).toBe('refund_waiting');
      const waiting = await waitingFor(session.payment_intent);
      expect(waiting.map((w) => w.amount)).toEqual(['1200']);
      await deliver(stripeEvent('checkout.session.completed', session));
      const row = await conversionBy(session.payment_intent);
      expect(row).toMatchObject({ refunded_amount: '1200', status: 'received' });
      expect(await refundsOf(row.id)).toHaveLength(1);
      // Totals after the sale still count from there.
      expect((await refund(session.payment_intent, 1200)).body.outcome).toBe('ignored_already_refunded');
      expect((await refund(session.payment_intent, 1500)).body.outcome).toBe('refund_applied');
      expect(await conversionBy(session.payment_intent)).toMatchObject({ refunded_amount: '1500' });
    }
  });

  it('refunds a sale in full when a full refund came first, even when the payment event is then delivered twice', async () => {
    const session = checkout();
    await refund(session.payment_intent, 2000, { refunded: true });
    expect((await waitingFor(session.payment_intent)).map((w) => w.amount)).toEqual([null]);
    const completed = await deliver(stripeEvent('checkout.session.completed', session));
    expect(completed.body.outcome).toBe('sale_recorded');
    const late = await deliver(stripeEvent('checkout.session.async_payment_succeeded', session));
    expect(late.body).toEqual({ received: true, outcome: 'conversion_exists', conversionId: completed.body.conversionId });
    const rows = (await h.owner.query('SELECT * FROM conversions WHERE payment_ref = $1', [session.payment_intent])).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'refunded', refunded_amount: '2000' });
    expect(await refundsOf(rows[0].id)).toHaveLength(1);
  });

  it('converts refunds of a sale made in another currency at the sale’s rate, reaching the total exactly', async () => {
    // USD→EUR 0.9 exists (the checkout test above added it): 2000 USD → 1800 EUR.
    const s = await sale({ currency: 'usd', amount_total: 2000 });
    await refund(s.payment_intent, 500, { currency: 'usd' });
    await refund(s.payment_intent, 1200, { currency: 'usd' });
    const row = await conversionBy(s.payment_intent);
    expect(row).toMatchObject({ amount: '1800', refunded_amount: '1080' });
    expect((await refundsOf(row.id)).map((r) => r.amount)).toEqual(['500', '700']);
    expect((await refund(s.payment_intent, 1200, { currency: 'usd' })).body.outcome).toBe('ignored_already_refunded');
    expect((await refund(s.payment_intent, 500, { currency: 'eur' })).body.outcome).toBe('ignored_currency_mismatch');
    await refund(s.payment_intent, 2000, { currency: 'usd', refunded: true });
    expect(await conversionBy(s.payment_intent)).toMatchObject({ refunded_amount: '1800', status: 'refunded' });
  });

  it('finds an invoice’s sale by the invoice the charge names', async () => {
    const inv = invoice({ payment_intent: null, charge: null });
    await deliver(stripeEvent('invoice.paid', inv));
    const res = await deliver(stripeEvent('charge.refunded', charge({ invoice: inv.id, amount_refunded: 800 })));
    expect(res.body.outcome).toBe('refund_applied');
    expect(await conversionBy(inv.id)).toMatchObject({ refunded_amount: '800' });
  });

  it('links an invoice and its payment from invoice_payment.paid (API 2025-03-31 and later), in any order', async () => {
    const basilInvoice = () => {
      const { payment_intent: _p, subscription: _s, ...rest } = invoice();
      return { ...rest, parent: { type: 'subscription_details', subscription_details: { subscription: id('sub'), metadata: {} } } };
    };
    const payment = (inv: { id: string }, pi: string) =>
      stripeEvent('invoice_payment.paid', {
        id: id('inpay'),
        object: 'invoice_payment',
        invoice: inv.id,
        payment: { type: 'payment_intent', payment_intent: pi },
      });
    const basilRefund = (pi: string, amountRefunded: number) =>
      deliver(stripeEvent('charge.refunded', charge({ payment_intent: pi, amount_refunded: amountRefunded })));

    // invoice, refund, link: the refund waits under the payment intent until the link.
    const a = basilInvoice();
    const aPi = id('pi');
    await deliver(stripeEvent('invoice.paid', a));
    expect((await basilRefund(aPi, 600)).body.outcome).toBe('refund_waiting');
    const linked = await deliver(payment(a, aPi));
    expect(linked.body).toMatchObject({ outcome: 'payment_linked', conversionId: expect.any(String) });
    expect(await conversionBy(a.id)).toMatchObject({ payment_ref: aPi, refunded_amount: '600' });

    // link, invoice, refund: the invoice reads its payment from the linking event.
    const b = basilInvoice();
    const bPi = id('pi');
    expect((await deliver(payment(b, bPi))).body).toEqual({ received: true, outcome: 'payment_linked' });
    await deliver(stripeEvent('invoice.paid', b));
    expect(await conversionBy(b.id)).toMatchObject({ payment_ref: bPi });
    expect((await basilRefund(bPi, 700)).body.outcome).toBe('refund_applied');
    expect(await conversionBy(b.id)).toMatchObject({ refunded_amount: '700' });

    // refund, link, invoice: the sale arrives last and picks the waiting refund up.
    const c = basilInvoice();
    const cPi = id('pi');
    expect((await basilRefund(cPi, 2000)).body.outcome).toBe('refund_waiting');
    await deliver(payment(c, cPi));
    await deliver(stripeEvent('invoice.paid', c));
    expect(await conversionBy(c.id)).toMatchObject({ payment_ref: cPi, refunded_amount: '2000', status: 'refunded' });
  });

  it('applies refunds for a suspended merchant but records no new sales', async () => {
    const s = await sale();
    const suspend = await h.request({ method: 'PATCH', url: `/v1/merchants/${merchantId}`, token: networkToken, payload: { status: 'suspended' } });
    expect(suspend.status).toBe(200);
    try {
      const fresh = checkout();
      expect((await deliver(stripeEvent('checkout.session.completed', fresh))).body).toEqual({ received: true, outcome: 'ignored_merchant_suspended' });
      expect(await conversionBy(fresh.payment_intent)).toBeUndefined();
      expect((await refund(s.payment_intent, 900)).body.outcome).toBe('refund_applied');
      expect(await conversionBy(s.payment_intent)).toMatchObject({ refunded_amount: '900' });
    } finally {
      await h.request({ method: 'PATCH', url: `/v1/merchants/${merchantId}`, token: networkToken, payload: { status: 'active' } });
    }
  });
});
