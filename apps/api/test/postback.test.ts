import { createHmac } from 'node:crypto';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { prunePostbackReceipts } from '@app/domain/postbacks/prune-postback-receipts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMerchantUser, createProgram, networkWithMerchant, partner } from './builders';
import { count, createApiKey, createMerchant, expectProblem, type Harness, logIn, startHarness } from './harness';

let h: Harness;
let tenantId: string;
let networkToken: string;
let merchantId: string;
let ownerToken: string;
let program: string;
let secret: string;
let otherTenantId: string;
let otherProgram: string;
let otherSecret: string;

type Params = Record<string, string | number>;

/** RFC 3986 encoding, written here apart from the code under test. */
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const now = () => Math.floor(Date.now() / 1000);

/** The parameters with ts (now unless given) and their signature, as a query string. */
function signed(key: string, params: Params): string {
  const all: [string, string][] = Object.entries({ ts: now(), ...params }).map(([k, v]) => [k, String(v)]);
  const canonical = all
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .sort()
    .join('&');
  return `${canonical}&sig=${createHmac('sha256', key).update(canonical).digest('hex')}`;
}

const sale = (externalId: string, extra: Params = {}): Params => ({ program_id: program, external_id: externalId, amount: 10_000, ...extra });

function get(query: string) {
  return h.request({ method: 'GET', url: `/postback?${query}` });
}

function postForm(body: string, url = '/postback', contentType = 'application/x-www-form-urlencoded') {
  return h.request({ method: 'POST', url, payload: body, headers: { 'content-type': contentType } });
}

async function snapshot() {
  return {
    conversions: await count(h, 'conversions'),
    refunds: await count(h, 'conversion_refunds'),
    receipts: await count(h, 'postback_receipts'),
    outbox: await count(h, 'outbox'),
  };
}

/** Runs `act` and checks that it stored nothing anywhere. */
async function storesNothing<T>(act: () => Promise<T>): Promise<T> {
  const before = await snapshot();
  const result = await act();
  expect(await snapshot()).toEqual(before);
  return result;
}

async function conversion(externalId: string, programId = program) {
  const { rows } = await h.owner.query('SELECT * FROM conversions WHERE program_id = $1 AND external_id = $2', [programId, externalId]);
  return rows;
}

async function readSecret(programId: string, token: string) {
  const res = await h.request({ method: 'GET', url: `/v1/programs/${programId}/postback-secret`, token });
  expect(res.status).toBe(200);
  return res.body as { programId: string; secret: string; example: { url: string; canonical: string } };
}

beforeAll(async () => {
  h = await startHarness('postback', { RATE_LIMIT_MAX: '100000' });
  let net: { token: string; tenantId: string };
  ({ net, merchantId, merchantToken: ownerToken } = await networkWithMerchant(h, 'pb'));
  tenantId = net.tenantId;
  networkToken = net.token;
  program = await createProgram(h, ownerToken, merchantId);
  secret = (await readSecret(program, ownerToken)).secret;

  const other = await networkWithMerchant(h, 'pb-other');
  otherTenantId = other.net.tenantId;
  otherProgram = await createProgram(h, other.merchantToken, other.merchantId);
  otherSecret = (await readSecret(otherProgram, other.merchantToken)).secret;
});

afterAll(async () => {
  await h?.close();
});

describe('GET|POST /postback: accepted', () => {
  it('stores a signed sale (GET) with its attribution job and receipt', async () => {
    const res = await get(signed(secret, sale('pb-1', { click_id: 'clk_abc', coupon: 'SPRING', sub1: 'newsletter' })));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.stringMatching(/^cnv_/), status: 'received', duplicate: false });
    const [row] = await conversion('pb-1');
    expect(row).toMatchObject({
      id: res.body.id,
      tenant_id: tenantId,
      merchant_id: merchantId,
      type: 'sale',
      source: 'postback',
      trust: 'server',
      status: 'received',
      amount: '10000',
      currency: 'EUR',
      click_id: 'clk_abc',
      coupon_code: 'SPRING',
    });
    const outbox = await h.owner.query('SELECT topic, payload FROM outbox WHERE payload->>$1 = $2', ['conversionId', res.body.id]);
    expect(outbox.rows).toEqual([{ topic: 'conversions.attribute', payload: { conversionId: res.body.id } }]);
    const receipts = await h.owner.query('SELECT tenant_id, program_id, signature FROM postback_receipts WHERE program_id = $1', [program]);
    expect(receipts.rows).toHaveLength(1);
    expect(receipts.rows[0]).toMatchObject({ tenant_id: tenantId, program_id: program, signature: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('stores a sale sent as a form body (POST), with or without a charset, and one with the parameters in the query string', async () => {
    const a = await postForm(signed(secret, sale('pb-form-1', { amount: 4_990 })));
    expect(a.status).toBe(200);
    const b = await postForm(signed(secret, sale('pb-form-2')), '/postback', 'application/x-www-form-urlencoded; charset=utf-8');
    expect(b.status).toBe(200);
    const c = await h.request({ method: 'POST', url: `/postback?${signed(secret, sale('pb-form-3'))}` });
    expect(c.status).toBe(200);
    expect((await conversion('pb-form-1'))[0]).toMatchObject({ amount: '4990', source: 'postback' });
    expect(await conversion('pb-form-2')).toHaveLength(1);
    expect(await conversion('pb-form-3')).toHaveLength(1);
  });

  it('reads + and %20 alike as spaces, and signs the decoded values', async () => {
    const query = signed(secret, sale('pb order 7'));
    expect(query).toContain('external_id=pb%20order%207');
    const res = await get(query.replace('pb%20order%207', 'pb+order%207'));
    expect(res.status).toBe(200);
    expect(await conversion('pb order 7')).toHaveLength(1);
  });

  it('stores a lead without an amount', async () => {
    const res = await get(signed(secret, { program_id: program, external_id: 'pb-lead-1', type: 'lead' }));
    expect(res.status).toBe(200);
    expect((await conversion('pb-lead-1'))[0]).toMatchObject({ type: 'lead', amount: null, source: 'postback' });
  });

  it('answers a repeated external_id with a fresh signature with the existing conversion (duplicate: true), changing nothing', async () => {
    const first = await get(signed(secret, sale('pb-dup')));
    expect(first.body.duplicate).toBe(false);
    // The second postback stores its receipt (so a replay of it is refused) and nothing else.
    const before = await snapshot();
    const again = await get(signed(secret, sale('pb-dup', { amount: 1, nonce: 'second' })));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: first.body.id, status: 'received', duplicate: true });
    expect(await snapshot()).toEqual({ ...before, receipts: before.receipts + 1 });
    const rows = await conversion('pb-dup');
    expect(rows).toHaveLength(1);
    expect(rows[0].amount).toBe('10000');
  });
});

describe('GET|POST /postback: refused, storing nothing', () => {
  it('refuses a missing or garbled sig with 401 invalid_signature', async () => {
    const query = signed(secret, sale('pb-nosig'));
    const unsigned = query.replace(/&sig=[0-9a-f]+$/, '');
    await storesNothing(async () => {
      expectProblem(await get(unsigned), 401, 'invalid_signature');
      expectProblem(await get(`${unsigned}&sig=`), 401, 'invalid_signature');
      expectProblem(await get(`${unsigned}&sig=not-hex`), 401, 'invalid_signature');
      expectProblem(await get(`${unsigned}&sig=${'a'.repeat(63)}`), 401, 'invalid_signature');
      expectProblem(await get(`${query}&sig=${'a'.repeat(64)}`), 401, 'invalid_signature');
      expectProblem(await postForm(''), 401, 'invalid_signature');
    });
    expect(await conversion('pb-nosig')).toHaveLength(0);
  });

  it('refuses a wrong signature: another secret, the amount changed after signing, an unsigned extra parameter', async () => {
    await storesNothing(async () => {
      expectProblem(await get(signed('not-the-secret', sale('pb-bad-1'))), 401, 'invalid_signature');
      const tampered = signed(secret, sale('pb-bad-2', { amount: 100 })).replace('amount=100', 'amount=1');
      const res = await get(tampered);
      expectProblem(res, 401, 'invalid_signature');
      expect(res.body.details.canonical).toContain('amount=1&');
      expectProblem(await get(`${signed(secret, sale('pb-bad-3'))}&sub1=x`), 401, 'invalid_signature');
      // The signature of a GET does not sign another program's postback.
      expectProblem(await get(signed(secret, sale('pb-bad-4')).replace(program, otherProgram)), 401, 'invalid_signature');
    });
  });

  it('refuses a ts outside ±300 s with 401 signature_expired, naming the window and the server time', async () => {
    await storesNothing(async () => {
      const old = await get(signed(secret, sale('pb-old', { ts: now() - 301 })));
      expectProblem(old, 401, 'signature_expired');
      expect(old.body.detail).toMatch(/±300 s/);
      expect(old.body.detail).toMatch(/in the past/);
      expect(Math.abs(old.body.details.serverTime - now())).toBeLessThanOrEqual(2);
      expect(old.body.details.windowSeconds).toBe(300);
      const future = await get(signed(secret, sale('pb-future', { ts: now() + 400 })));
      expectProblem(future, 401, 'signature_expired');
      expect(future.body.detail).toMatch(/in the future/);
      expectProblem(await get(signed(secret, sale('pb-epoch', { ts: 0 }))), 401, 'signature_expired');
    });
  });

  it('refuses a replay of an accepted postback with 409 replayed, even when sent many times at once', async () => {
    const query = signed(secret, sale('pb-replay'));
    expect((await get(query)).status).toBe(200);
    await storesNothing(async () => {
      expectProblem(await get(query), 409, 'replayed');
      expectProblem(await postForm(query), 409, 'replayed');
    });
    const burst = signed(secret, sale('pb-burst'));
    const answers = await Promise.all(Array.from({ length: 8 }, () => get(burst)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409 && a.body.code === 'replayed')).toHaveLength(7);
    expect(await conversion('pb-burst')).toHaveLength(1);
  });

  it('answers an unknown program exactly like a wrong signature', async () => {
    const unknown = newId('program');
    await storesNothing(async () => {
      const a = await get(signed(secret, sale('pb-unknown', { program_id: unknown })));
      const b = await get(signed('guess', sale('pb-unknown')));
      expectProblem(a, 401, 'invalid_signature');
      expectProblem(b, 401, 'invalid_signature');
      expect(a.body.detail).toBe(b.body.detail);
      expectProblem(await get(signed(secret, sale('pb-unknown', { program_id: 'x'.repeat(200) }))), 401, 'invalid_signature');
    });
  });

  it("refuses another network's program signed with this program's secret, and stores nothing in either network", async () => {
    await storesNothing(async () => {
      expectProblem(await get(signed(secret, sale('pb-cross', { program_id: otherProgram }))), 401, 'invalid_signature');
    });
    expect(await conversion('pb-cross', otherProgram)).toHaveLength(0);
    // With its own secret the other network's program takes it, in the other network.
    expect((await get(signed(otherSecret, sale('pb-cross', { program_id: otherProgram })))).status).toBe(200);
    expect((await conversion('pb-cross', otherProgram))[0]).toMatchObject({ tenant_id: otherTenantId, source: 'postback' });
  });

  it('refuses invalid fields with 400 validation_failed listing them (after the signature is checked)', async () => {
    await storesNothing(async () => {
      const res = await get(signed(secret, sale('', { amount: '12.50', type: 'purchase', currency: 'eur', status: 'paid' })));
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['amount', 'currency', 'external_id', 'status', 'type']);
      const noAmount = await get(signed(secret, { program_id: program, external_id: 'pb-no-amount' }));
      expectProblem(noAmount, 400, 'validation_failed');
      expect(noAmount.body.errors).toEqual([{ path: 'amount', message: 'a sale needs an amount in minor units' }]);
      const huge = await get(signed(secret, sale('pb-huge', { amount: '99999999999999999999' })));
      expectProblem(huge, 400, 'validation_failed');
      // A repeat of a parameter that was not signed is a wrong signature.
      expectProblem(await get(`amount=5&${signed(secret, sale('pb-twice'))}`), 401, 'invalid_signature');
      // Without program_id or ts there is nothing to check the signature against.
      const noProgram = await get(signed(secret, { external_id: 'pb-x', amount: 1 }));
      expectProblem(noProgram, 400, 'validation_failed');
      expect(noProgram.body.errors).toEqual([{ path: 'program_id', message: 'is required' }]);
      const badTs = await get(signed(secret, sale('pb-x', { ts: '2025-01-01' })));
      expectProblem(badTs, 400, 'validation_failed');
      expect(badTs.body.errors).toEqual([{ path: 'ts', message: 'must be a unix time in whole seconds' }]);
    });
  });

  it('refuses a known parameter given twice, even when signed so', async () => {
    const params: [string, string][] = [
      ['program_id', program],
      ['external_id', 'pb-double'],
      ['amount', '5'],
      ['amount', '6'],
      ['ts', String(now())],
    ];
    const canonical = params
      .map(([k, v]) => `${enc(k)}=${enc(v)}`)
      .sort()
      .join('&');
    const res = await storesNothing(() => get(`${canonical}&sig=${createHmac('sha256', secret).update(canonical).digest('hex')}`));
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ path: 'amount', message: 'is given more than once' }]);
  });

  it('stores nothing when the effect fails: a currency without an exchange rate rolls the receipt back too', async () => {
    const query = signed(secret, sale('pb-usd', { currency: 'USD' }));
    expectProblem(await storesNothing(() => get(query)), 400, 'validation_failed');
    // Nothing was received, so the same signed postback is not a replay once a rate exists.
    const rate = await h.request({
      method: 'POST',
      url: '/v1/fx-rates',
      token: networkToken,
      payload: { from: 'USD', to: 'EUR', rate: '0.9', effectiveFrom: new Date(Date.now() - 86_400_000).toISOString() },
    });
    expect(rate.status).toBe(201);
    const res = await get(query);
    expect(res.status).toBe(200);
    expect((await conversion('pb-usd'))[0]).toMatchObject({ amount: '9000', currency: 'EUR', original_amount: '10000', original_currency: 'USD' });
  });

  it('refuses a body that is not form-encoded with 415, and HEAD is not an alias of GET', async () => {
    await storesNothing(async () => {
      const json = await h.request({ method: 'POST', url: '/postback', payload: { program_id: program } });
      expectProblem(json, 415, 'unsupported_media_type');
      const head = await h.request({ method: 'HEAD', url: `/postback?${signed(secret, sale('pb-head'))}` });
      expect(head.status).toBe(404);
    });
  });

  it('refuses new conversions for an archived program but still takes its refunds', async () => {
    const archived = await createProgram(h, ownerToken, merchantId, { name: 'Old shoes' });
    const { secret: key } = await readSecret(archived, ownerToken);
    expect((await get(signed(key, sale('pb-arch', { program_id: archived })))).status).toBe(200);
    const patched = await h.request({ method: 'PATCH', url: `/v1/programs/${archived}`, token: ownerToken, payload: { status: 'archived' } });
    expect(patched.status).toBe(200);
    expectProblem(await storesNothing(() => get(signed(key, sale('pb-arch-2', { program_id: archived })))), 409, 'invalid_state');
    const refund = await get(signed(key, { program_id: archived, external_id: 'pb-arch', status: 'refunded' }));
    expect(refund.status).toBe(200);
    expect(refund.body.status).toBe('refunded');
  });
});

describe('refunds by postback', () => {
  it('refunds a sale in full', async () => {
    const created = await get(signed(secret, sale('pb-refund-full')));
    const res = await get(signed(secret, { program_id: program, external_id: 'pb-refund-full', status: 'refunded' }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: created.body.id, status: 'refunded', refundedAmount: 10_000, refundId: expect.stringMatching(/^rfd_/) });
    const [row] = await conversion('pb-refund-full');
    expect(row).toMatchObject({ status: 'refunded', refunded_amount: '10000' });
    const refunds = await h.owner.query('SELECT amount, applied_amount, status, source, reason FROM conversion_refunds WHERE conversion_id = $1', [row.id]);
    expect(refunds.rows).toEqual([{ amount: null, applied_amount: '10000', status: 'applied', source: 'postback', reason: 'postback refunded' }]);
    const reversal = await h.owner.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'commissions.reverse' AND payload->>'refundId' = $1`, [
      res.body.refundId,
    ]);
    expect(reversal.rows[0].n).toBe(1);
  });

  it('refuses to refund an already fully refunded conversion with 409 invalid_state', async () => {
    const res = await storesNothing(() => get(signed(secret, { program_id: program, external_id: 'pb-refund-full', status: 'cancelled' })));
    expectProblem(res, 409, 'invalid_state');
  });

  it('refunds a sale in part, then the rest (over-refunds are capped at what remains)', async () => {
    await get(signed(secret, sale('pb-refund-part')));
    const first = await get(signed(secret, { program_id: program, external_id: 'pb-refund-part', status: 'cancelled', amount: 2_500 }));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'received', refundedAmount: 2_500 });
    expect((await conversion('pb-refund-part'))[0]).toMatchObject({ status: 'received', refunded_amount: '2500' });
    const second = await get(signed(secret, { program_id: program, external_id: 'pb-refund-part', status: 'refunded', amount: 99_999 }));
    expect(second.body).toMatchObject({ status: 'refunded', refundedAmount: 10_000 });
    const refunds = await h.owner.query(
      'SELECT r.amount, r.applied_amount, r.reason FROM conversion_refunds r JOIN conversions c ON c.id = r.conversion_id WHERE c.external_id = $1 ORDER BY r.id',
      ['pb-refund-part'],
    );
    expect(refunds.rows).toEqual([
      { amount: '2500', applied_amount: '2500', reason: 'postback cancelled' },
      { amount: '99999', applied_amount: '7500', reason: 'postback refunded' },
    ]);
  });

  it('refuses a refund amount in another currency than the sale came in', async () => {
    await get(signed(secret, sale('pb-refund-cur')));
    const res = await storesNothing(() =>
      get(signed(secret, { program_id: program, external_id: 'pb-refund-cur', status: 'refunded', amount: 5, currency: 'USD' })),
    );
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors[0].path).toBe('currency');
  });

  it('keeps a refund that arrives before its sale waiting, and applies it when the sale arrives by postback', async () => {
    const waiting = await get(signed(secret, { program_id: program, external_id: 'pb-early', status: 'refunded' }));
    expect(waiting.status).toBe(202);
    expect(waiting.body).toEqual({ status: 'waiting', refundId: expect.stringMatching(/^rfd_/) });
    const stored = await h.owner.query('SELECT * FROM conversion_refunds WHERE id = $1', [waiting.body.refundId]);
    expect(stored.rows[0]).toMatchObject({
      tenant_id: tenantId,
      merchant_id: merchantId,
      conversion_id: null,
      external_ref: 'pb-early',
      amount: null,
      status: 'waiting',
      source: 'postback',
      reason: 'postback refunded',
    });
    expect(await conversion('pb-early')).toHaveLength(0);

    const sold = await get(signed(secret, sale('pb-early', { amount: 8_000 })));
    expect(sold.status).toBe(200);
    expect(sold.body).toMatchObject({ status: 'refunded', duplicate: false });
    expect((await conversion('pb-early'))[0]).toMatchObject({ status: 'refunded', refunded_amount: '8000', amount: '8000' });
    const applied = await h.owner.query('SELECT status, conversion_id, applied_amount FROM conversion_refunds WHERE id = $1', [waiting.body.refundId]);
    expect(applied.rows[0]).toEqual({ status: 'applied', conversion_id: sold.body.id, applied_amount: '8000' });
  });

  it('applies a partial refund that waited', async () => {
    const waiting = await get(signed(secret, { program_id: program, external_id: 'pb-early-part', status: 'cancelled', amount: 1_500 }));
    expect(waiting.status).toBe(202);
    expect((await h.owner.query('SELECT amount FROM conversion_refunds WHERE id = $1', [waiting.body.refundId])).rows[0].amount).toBe('1500');
    const sold = await get(signed(secret, sale('pb-early-part')));
    expect(sold.body.status).toBe('received');
    expect((await conversion('pb-early-part'))[0]).toMatchObject({ status: 'received', refunded_amount: '1500' });
  });
});

describe('the postback secret', () => {
  it('shows the merchant the secret and a signed example URL that works as it is', async () => {
    const view = await readSecret(program, ownerToken);
    expect(view.programId).toBe(program);
    expect(view.secret).toBe(secret);
    expect(view.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(view.example.url.startsWith(`https://track.example/postback?${view.example.canonical}&sig=`)).toBe(true);
    expect(view.example.canonical).toMatch(new RegExp(`^amount=4990&currency=EUR&external_id=order-1001&program_id=${program}&ts=\\d+&type=sale$`));
    const sig = new URL(view.example.url).searchParams.get('sig');
    expect(sig).toBe(createHmac('sha256', secret).update(view.example.canonical).digest('hex'));
    const res = await get(view.example.url.split('?')[1]!);
    expect(res.status).toBe(200);
    expect((await conversion('order-1001'))[0]).toMatchObject({ amount: '4990', source: 'postback' });
  });

  it('is readable by the network owner and a secret key of the merchant, not by a publishable key', async () => {
    expect((await readSecret(program, networkToken)).secret).toBe(secret);
    const sk = await createApiKey(h, ownerToken, merchantId, 'secret');
    expect((await readSecret(program, sk.key)).secret).toBe(secret);
    const pk = await createApiKey(h, ownerToken, merchantId, 'publishable');
    expectProblem(await h.request({ method: 'GET', url: `/v1/programs/${program}/postback-secret`, token: pk.key }), 404, 'not_found');
  });

  it('is hidden from affiliates, analysts, other merchants and other networks', async () => {
    const url = `/v1/programs/${program}/postback-secret`;
    const analyst = await addMerchantUser(h, ownerToken, merchantId, 'pb', 'ann@shoes.example');
    const affiliate = await partner(h, 'pb', 'aff@blog.example');
    const bags = await createMerchant(h, networkToken, 'Bags', 'owner@bags.example');
    const bagsOwner = (await logIn(h, 'pb', 'owner@bags.example')).accessToken;
    const bagsKey = (await createApiKey(h, bagsOwner, bags.id, 'secret')).key;
    const otherOwner = (await logIn(h, 'pb-other', 'owner@pb-other.example')).accessToken;
    const before = await count(h, 'audit_log');
    for (const method of ['GET', 'POST'] as const) {
      const target = method === 'GET' ? url : `${url}/rotate`;
      expectProblem(await h.request({ method, url: target, token: analyst }), 403, 'forbidden');
      expectProblem(await h.request({ method, url: target, token: affiliate.token }), 404, 'not_found');
      expectProblem(await h.request({ method, url: target, token: bagsOwner }), 404, 'not_found');
      expectProblem(await h.request({ method, url: target, token: bagsKey }), 404, 'not_found');
      expectProblem(await h.request({ method, url: target, token: otherOwner }), 404, 'not_found');
      expectProblem(await h.request({ method, url: target }), 401, 'unauthenticated');
    }
    const body = (await h.request({ method: 'GET', url, token: affiliate.token })).body;
    expect(JSON.stringify(body)).not.toContain(merchantId);
    expect(await count(h, 'audit_log')).toBe(before);
    expect((await readSecret(program, ownerToken)).secret).toBe(secret);
  });

  it('rotates: the old secret fails at once, the new one works, and the audit log names who (not the secret)', async () => {
    const pending = signed(secret, sale('pb-rotate-old'));
    const res = await h.request({ method: 'POST', url: `/v1/programs/${program}/postback-secret/rotate`, token: ownerToken });
    expect(res.status).toBe(200);
    const fresh: string = res.body.secret;
    expect(fresh).toMatch(/^[0-9a-f]{64}$/);
    expect(fresh).not.toBe(secret);
    expect(res.body.example.url).toContain(`program_id=${program}`);
    expect((await readSecret(program, ownerToken)).secret).toBe(fresh);

    expectProblem(await storesNothing(() => get(pending)), 401, 'invalid_signature');
    expectProblem(await get(signed(secret, sale('pb-rotate-old-2'))), 401, 'invalid_signature');
    expect((await get(signed(fresh, sale('pb-rotate-new')))).status).toBe(200);

    const audit = await h.owner.query(`SELECT actor_type, subject_id, data FROM audit_log WHERE action = 'program.postback_secret_rotated'`);
    expect(audit.rows).toEqual([{ actor_type: 'user', subject_id: program, data: { merchantId } }]);
    expect(JSON.stringify(audit.rows)).not.toContain(fresh);
    // Rotating does not show up in the program's public view.
    const view = await h.request({ method: 'GET', url: `/v1/programs/${program}`, token: ownerToken });
    expect(JSON.stringify(view.body)).not.toContain(fresh);
    secret = fresh;
  });
});

describe('receipts', () => {
  let prisma: PrismaClient;
  beforeAll(() => {
    prisma = createPrisma({ url: h.db.appUrl, poolSize: 2 });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
  });

  it("prunes a network's receipts older than an hour, keeping recent ones and other networks'", async () => {
    const insert = (signature: string, tenant: string, programId: string, age: string) =>
      h.owner.query(`INSERT INTO postback_receipts (signature, tenant_id, program_id, received_at) VALUES ($1, $2, $3, now() - $4::interval)`, [
        signature,
        tenant,
        programId,
        age,
      ]);
    await insert('old-1', tenantId, program, '2 hours');
    await insert('old-2', tenantId, program, '61 minutes');
    await insert('recent', tenantId, program, '20 minutes');
    await insert('other-old', otherTenantId, otherProgram, '3 hours');
    const deleted = await withTenant(prisma, tenantId, (tx) => prunePostbackReceipts(tx));
    expect(deleted).toBe(2);
    const left = await h.owner.query(`SELECT signature FROM postback_receipts WHERE signature IN ('old-1', 'old-2', 'recent', 'other-old') ORDER BY signature`);
    expect(left.rows.map((r) => r.signature)).toEqual(['other-old', 'recent']);
  });
});
